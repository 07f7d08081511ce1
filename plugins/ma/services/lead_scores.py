"""Lead scores: the customer-data duties (merge, export, erasure)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.plugins.ma.models import LeadScore


async def _drop(session: AsyncSession, row: LeadScore, journal: Any) -> None:
    if journal is not None:
        snapshot = {c.key: getattr(row, c.key) for c in LeadScore.__table__.columns}
        journal.record(LeadScore.__tablename__, row.id, "*", snapshot, None)
    await session.delete(row)
    await session.flush()


async def merge_scores(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Any
) -> None:
    """The survivor keeps the higher of the two scores; the other row is deleted and kept
    whole in the journal (column ``"*"``)."""
    rows = (
        await session.scalars(
            select(LeadScore)
            .where(LeadScore.customer_id.in_((source_id, target_id)))
            .with_for_update()
        )
    ).all()
    source = next((r for r in rows if r.customer_id == source_id), None)
    target = next((r for r in rows if r.customer_id == target_id), None)
    if source is None:
        return
    if target is not None:
        if target.value >= source.value:
            await _drop(session, source, journal)
            return
        await _drop(session, target, journal)
    if journal is not None:
        journal.record(LeadScore.__tablename__, source.id, "customer_id", source_id, target_id)
    source.customer_id = target_id
    await session.flush()


async def export_scores(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(LeadScore.__table__).where(LeadScore.customer_id == customer_id)
    )
    return [dict(r) for r in rows.mappings()]


async def erase_scores(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await session.execute(delete(LeadScore).where(LeadScore.customer_id == customer_id))
