"""Fields SFA adds to core types. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.errors import BadRequest
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct, loads
from unicrm.plugins.sfa.graphql.types import Activity, Deal


def type_fields() -> dict[str, list[Any]]:
    @loads("sfa.deals_by_customer", each=Deal.from_row)
    async def deals(root: Customer, info: strawberry.Info) -> list[Deal] | None: ...

    @direct
    async def sales_activities(
        root: Customer, info: strawberry.Info, limit: int = 20
    ) -> list[Activity] | None:
        most = info.context.limits.max_page_size
        if not 0 <= limit <= most:
            raise BadRequest(f"limit must be between 0 and {most}")
        loader = info.context.loaders["sfa.latest_activities_by_customer"]
        return [Activity.from_row(r) for r in await loader.load((root.pk, limit))]

    return {
        "Customer": [
            strawberry.field(resolver=deals, description="The customer's deals, newest first."),
            strawberry.field(
                resolver=sales_activities,
                description="The customer's calls, meetings, visits, e-mails and tasks, newest "
                "first, whoever logged them.",
            ),
        ]
    }
