"""Lead scores: how a merge combines two customers' scores."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.privacy.rows import Journal, drop_row, set_column
from unicrm.plugins.ma.models import LeadScore


async def merge_scores(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Journal | None
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
        loser = source if target.value >= source.value else target
        await drop_row(session, loser, journal)
        if loser is source:
            return
    set_column(source, "customer_id", target_id, journal)
    await session.flush()
