"""Fields CRM adds to core types. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import loads
from unicrm.plugins.crm.graphql.service_view import service
from unicrm.plugins.crm.graphql.types import Case


def type_fields() -> dict[str, list[Any]]:
    @loads("crm.cases_by_customer", each=Case.from_row)
    async def cases(root: Customer, info: strawberry.Info) -> list[Case] | None: ...

    return {
        "Customer": [
            strawberry.field(resolver=cases, description="The customer's cases, newest first."),
            strawberry.field(
                resolver=service,
                description="The customer as the service team sees it: purchases, products "
                "owned, contracts and cases, in one query.",
            ),
        ]
    }
