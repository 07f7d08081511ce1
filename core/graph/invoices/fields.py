"""``Customer.invoices`` and ``Order.invoices``: batched, within the actor's invoice scope."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.errors import BadRequest
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.invoices.types import Invoice
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.plan import direct


@direct
async def customer_invoices(
    root: Customer, info: strawberry.Info, limit: int = 10
) -> list[Invoice]:
    most = info.context.limits.max_page_size
    if not 0 <= limit <= most:
        raise BadRequest(f"limit must be between 0 and {most}")
    rows = await info.context.loaders["core.latest_invoices_by_customer"].load((root.pk, limit))
    return [Invoice.from_row(r) for r in rows]


@direct
async def order_invoices(root: Order, info: strawberry.Info) -> list[Invoice]:
    rows = await info.context.loaders["core.invoices_by_order"].load(root.pk)
    return [Invoice.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=customer_invoices,
                name="invoices",
                description="The customer's newest documents (invoices, receipts, credit notes).",
            )
        ],
        "Order": [
            strawberry.field(
                resolver=order_invoices,
                name="invoices",
                description="The documents issued for the order, credit notes included.",
            )
        ],
    }
