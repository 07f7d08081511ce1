from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import latest_by, many_per_key, one_per_key
from unicrm.core.graph.orders.models import Order, OrderLine


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


LOADERS = {
    "core.order_by_id": one_per_key(_orders_by_id),
    "core.lines_by_order": many_per_key(_lines_by_order),
    "core.latest_orders_by_customer": many_per_key(
        latest_by(Order.customer_id, Order.placed_at.desc(), Order.id.desc())
    ),
}
