"""Loyalty members: look-ups, and the customer-data duties (merge, export, erasure)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.plugins.loyalty.models import Member


def normalize_card_number(card_number: str) -> str:
    """Card numbers are printed in groups; look-ups ignore the spaces and dashes."""
    return "".join(ch for ch in card_number if ch not in " -")


async def member_by_card(session: AsyncSession, card_number: str) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.card_number == normalize_card_number(card_number))
    )


async def members_by_customer(
    session: AsyncSession, customer_ids: list[Any]
) -> list[tuple[Any, Member]]:
    rows = await session.scalars(select(Member).where(Member.customer_id.in_(customer_ids)))
    return [(r.customer_id, r) for r in rows]


def _set(row: Member, column: str, value: Any, journal: Any) -> None:
    if journal is not None:
        journal.record(Member.__tablename__, row.id, column, getattr(row, column), value)
    setattr(row, column, value)


async def merge_members(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Any
) -> None:
    """Move the source's membership to the target.

    When both are members the target keeps its card and receives the source's points, and the
    source's card is deleted; the journal keeps the deleted row whole (column ``"*"``).
    """
    source = await session.scalar(
        select(Member).where(Member.customer_id == source_id).with_for_update()
    )
    if source is None:
        return
    target = await session.scalar(
        select(Member).where(Member.customer_id == target_id).with_for_update()
    )
    if target is None:
        _set(source, "customer_id", target_id, journal)
    else:
        _set(target, "points_balance", target.points_balance + source.points_balance, journal)
        if journal is not None:
            snapshot = {c.key: getattr(source, c.key) for c in Member.__table__.columns}
            journal.record(Member.__tablename__, source.id, "*", snapshot, None)
        await session.delete(source)
    await session.flush()


async def export_members(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(select(Member.__table__).where(Member.customer_id == customer_id))
    return [dict(r) for r in rows.mappings()]


async def erase_members(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Delete the membership: a card number identifies the person and points mean nothing
    without them."""
    await session.execute(delete(Member).where(Member.customer_id == customer_id))
