"""``Customer.orders`` and ``Customer.latestOrders``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import BadRequest
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.orders.models import Order as OrderRow
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.plan import direct
from unicrm.core.graph.queries import run_query


@direct
async def orders(
    root: Customer, info: strawberry.Info, first: int | None = None, after: str | None = None
) -> Connection[Order]:
    ctx = info.context
    stmt = select(OrderRow).where(OrderRow.customer_id == root.pk)

    async def work(session: AsyncSession) -> Page[OrderRow]:
        return await paginate(
            session,
            stmt,
            keys=[OrderRow.placed_at, OrderRow.id],
            page=PageRequest(first=first, after=after),
            max_page_size=ctx.limits.max_page_size,
            descending=True,
            key_of=lambda r: (r.placed_at, r.id),
        )

    page = await run_query(info, work)
    return page.connection(Order.from_row, count_of(ctx.db, stmt))


@direct
async def latest_orders(root: Customer, info: strawberry.Info, limit: int = 5) -> list[Order]:
    most = info.context.limits.max_page_size
    if not 0 <= limit <= most:
        raise BadRequest(f"limit must be between 0 and {most}")
    rows = await info.context.loaders["core.latest_orders_by_customer"].load((root.pk, limit))
    return [Order.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(resolver=orders, description="The customer's orders, newest first."),
            strawberry.field(
                resolver=latest_orders,
                description="The customer's newest orders, for many customers at once.",
            ),
        ]
    }
