from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import many_per_key, one_per_key
from unicrm.core.graph.orders.models import Order, OrderLine
from unicrm.core.graph.orders.services import latest_per_customer


async def _orders_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (await session.scalars(select(Order).where(Order.id.in_(keys)))).all()
    return [(r.id, r) for r in rows]


async def _lines_by_order(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (
        await session.scalars(
            select(OrderLine)
            .where(OrderLine.order_id.in_(keys))
            .order_by(OrderLine.order_id, OrderLine.position)
        )
    ).all()
    return [(r.order_id, r) for r in rows]


async def _latest_orders(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    """Keys are ``(customer_id, limit)``; one statement for every customer of the batch."""
    newest = max(limit for _, limit in keys)
    by_customer: dict[Any, list[Order]] = defaultdict(list)
    for row in await session.scalars(latest_per_customer({c for c, _ in keys}, newest)):
        by_customer[row.customer_id].append(row)
    return [
        ((customer, limit), row)
        for customer, limit in keys
        for row in by_customer[customer][:limit]
    ]


LOADERS = {
    "core.order_by_id": one_per_key(_orders_by_id),
    "core.lines_by_order": many_per_key(_lines_by_order),
    "core.latest_orders_by_customer": many_per_key(_latest_orders),
}
