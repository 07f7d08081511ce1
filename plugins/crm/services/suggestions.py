"""Cross-sell and up-sell suggestions from co-purchase statistics: the products most often
bought in the same order as a product (orders placed, not cancelled or refunded), with the
support (how many orders had both) and the confidence (the share of the product's orders
that had the other)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from unicrm.core.errors import DomainError
from unicrm.core.graph.orders.models import Order, OrderLine, OrderStatus
from unicrm.core.graph.products.models import Product

MAX_SUGGESTIONS = 50


@dataclass(frozen=True, slots=True)
class Suggestion:
    product_id: uuid.UUID
    support: int
    confidence: float


async def bought_with(
    session: AsyncSession, product_id: uuid.UUID, first: int, min_support: int
) -> list[Suggestion]:
    """The products most often in the same placed order as ``product_id``, most first."""
    if not 1 <= first <= MAX_SUGGESTIONS:
        raise DomainError.single("INVALID", f"from 1 to {MAX_SUGGESTIONS} suggestions", "first")
    if min_support < 1:
        raise DomainError.single("INVALID", "a support of at least 1 order", "min_support")
    if await session.get(Product, product_id) is None:
        raise DomainError.single("NOT_FOUND", "no such product", "product_id")
    mine, other = aliased(OrderLine), aliased(OrderLine)
    placed = (
        select(Order.id)
        .where(Order.status == OrderStatus.PLACED)
        .where(Order.id == mine.order_id)
        .exists()
    )
    base = await session.scalar(
        select(func.count(distinct(mine.order_id))).where(mine.product_id == product_id, placed)
    )
    support = func.count(distinct(mine.order_id)).label("support")
    rows = (
        await session.execute(
            select(other.product_id, support)
            .join(mine, mine.order_id == other.order_id)
            .where(mine.product_id == product_id, other.product_id != product_id, placed)
            .group_by(other.product_id)
            .having(support >= min_support)
            .order_by(support.desc(), other.product_id)
            .limit(first)
        )
    ).all()
    return [Suggestion(pk, count, round(count / base, 4)) for pk, count in rows if base]
