"""Loyalty members: look-ups, and how a merge combines two memberships."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.privacy.rows import Journal, drop_row, set_column
from unicrm.plugins.loyalty.models import Member


def normalize_card_number(card_number: str) -> str:
    """Card numbers are printed in groups; look-ups ignore the spaces and dashes."""
    return "".join(ch for ch in card_number if ch not in " -")


async def member_by_card(session: AsyncSession, card_number: str) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.card_number == normalize_card_number(card_number))
    )


async def _locked(session: AsyncSession, customer_id: uuid.UUID) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.customer_id == customer_id).with_for_update()
    )


async def merge_members(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Journal | None
) -> None:
    """Move the source's membership to the target.

    When both are members the target keeps its card and receives the source's points, and the
    source's card is deleted; the journal keeps the deleted row whole (column ``"*"``).
    """
    source = await _locked(session, source_id)
    if source is None:
        return
    target = await _locked(session, target_id)
    if target is None:
        set_column(source, "customer_id", target_id, journal)
        await session.flush()
        return
    set_column(target, "points_balance", target.points_balance + source.points_balance, journal)
    await drop_row(session, source, journal)
