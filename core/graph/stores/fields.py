"""``Order.store``: the store an order was placed at, by its code, batched."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.plan import direct
from unicrm.core.graph.stores.types import Store


@direct
async def store(root: Order, info: strawberry.Info) -> Store | None:
    if root.store_code is None:
        return None
    return await load_one(info, "core.store_by_code", root.store_code, Store.from_row)


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Order": [
            strawberry.field(
                resolver=store, description="The store the order was placed at, if known."
            )
        ]
    }
