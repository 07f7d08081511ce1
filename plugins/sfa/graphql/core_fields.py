"""Fields SFA adds to core types. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct
from unicrm.plugins.sfa.graphql.types import Deal


def type_fields() -> dict[str, list[Any]]:
    @direct
    async def deals(root: Customer, info: strawberry.Info) -> list[Deal] | None:
        rows = await info.context.loaders["sfa.deals_by_customer"].load(root.pk)
        return [Deal.from_row(r) for r in rows]

    return {
        "Customer": [
            strawberry.field(resolver=deals, description="The customer's deals, newest first.")
        ]
    }
