"""``Customer.assets``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.assets.types import Asset, AssetStatus
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct


@direct
async def assets(
    root: Customer, info: strawberry.Info, status: list[AssetStatus] | None = None
) -> list[Asset] | None:
    key = (root.pk, tuple(sorted(set(status or ()))))
    rows = await info.context.loaders["core.assets_by_customer"].load(key)
    return [Asset.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=assets,
                description="What the customer owns, newest first; `status` keeps those in it.",
            )
        ]
    }
