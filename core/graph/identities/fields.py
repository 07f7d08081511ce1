"""Identity fields on Customer. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.identities.types import CustomerIdentity


def FIELDS() -> dict[str, list[Any]]:
    async def identities(root: Customer, info: strawberry.Info) -> list[CustomerIdentity]:
        rows = await info.context.loaders["core.identities_by_customer"].load(root.pk)
        return [CustomerIdentity.from_row(r) for r in rows]

    return {
        "Customer": [
            strawberry.field(resolver=identities, description="External identities, oldest first.")
        ]
    }
