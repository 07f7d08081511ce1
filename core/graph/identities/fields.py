"""Identity fields on Customer. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.identities.types import CustomerIdentity
from unicrm.core.graph.plan import loads


def FIELDS() -> dict[str, list[Any]]:
    @loads("core.identities_by_customer", each=CustomerIdentity.from_row)
    async def identities(root: Customer, info: strawberry.Info) -> list[CustomerIdentity]: ...

    return {
        "Customer": [
            strawberry.field(resolver=identities, description="External identities, oldest first.")
        ]
    }
