"""Fields loyalty adds to core types. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import loads
from unicrm.plugins.loyalty.graphql.types import LoyaltyMember


def type_fields() -> dict[str, list[Any]]:
    @loads("loyalty.member_by_customer", one=LoyaltyMember.from_row)
    async def loyalty_member(root: Customer, info: strawberry.Info) -> LoyaltyMember | None: ...

    @loads("loyalty.members_by_customer", each=LoyaltyMember.from_row)
    async def loyalty_memberships(
        root: Customer, info: strawberry.Info
    ) -> list[LoyaltyMember] | None: ...

    return {
        "Customer": [
            strawberry.field(
                resolver=loyalty_member,
                description="The customer's first loyalty membership.",
            ),
            strawberry.field(
                resolver=loyalty_memberships,
                description="The customer's memberships, one per programme, oldest first.",
            ),
        ]
    }
