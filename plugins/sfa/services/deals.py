"""Deals: listing, and the customer-data duties (merge, export, erasure)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.plugins.sfa.models import Deal, DealStage


def deals_stmt(stage: DealStage | None = None) -> Select[Any]:
    stmt = select(Deal)
    if stage is not None:
        stmt = stmt.where(Deal.stage == stage)
    return stmt


async def deals_by_customer(
    session: AsyncSession, customer_ids: list[Any]
) -> list[tuple[Any, Deal]]:
    """``(customer_id, deal)`` pairs, newest deal first, for a batch of customers."""
    rows = await session.scalars(
        select(Deal)
        .where(Deal.customer_id.in_(customer_ids))
        .order_by(Deal.created_at.desc(), Deal.id.desc())
    )
    return [(r.customer_id, r) for r in rows]


async def move_deals(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Any
) -> None:
    """Give the source customer's deals to the target, journaling every moved row."""
    moved = (await session.scalars(select(Deal.id).where(Deal.customer_id == source_id))).all()
    if not moved:
        return
    await session.execute(
        update(Deal).where(Deal.customer_id == source_id).values(customer_id=target_id)
    )
    if journal is not None:
        for deal_id in moved:
            journal.record(Deal.__tablename__, deal_id, "customer_id", source_id, target_id)


async def export_deals(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Deal.__table__).where(Deal.customer_id == customer_id).order_by(Deal.created_at)
    )
    return [dict(r) for r in rows.mappings()]


async def erase_deals(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await session.execute(delete(Deal).where(Deal.customer_id == customer_id))
