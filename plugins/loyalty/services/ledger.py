"""The points ledger: every change of a balance is one balanced posting (see models).

Every function here takes the member row locked (``lock_member``) before it reads a balance,
so two changes of one member never interleave: on PostgreSQL a ``SELECT ... FOR UPDATE``,
on SQLite the write transaction itself (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.timeline.services import add_entry
from unicrm.plugins.loyalty.events import PointsChanged
from unicrm.plugins.loyalty.models import (
    EntryKind,
    LedgerEntry,
    Member,
    MemberStatus,
    PointsLot,
    Program,
)

MEMBER_ACCOUNT = "member"
MAX_POINTS = 10**15
"""No single change moves more points than this (far below 64 bits, so sums never overflow)."""


def program_account(kind: EntryKind) -> str:
    return f"program:{kind.value}"


async def lock_member(session: AsyncSession, member_id: uuid.UUID) -> Member | None:
    return await session.scalar(
        select(Member)
        .where(Member.id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def active_member(session: AsyncSession, member_id: uuid.UUID, field: str) -> Member:
    """The member, locked; a ``MEMBER_NOT_FOUND`` or ``MEMBER_INACTIVE`` error otherwise."""
    member = await lock_member(session, member_id)
    if member is None:
        raise DomainError.single("MEMBER_NOT_FOUND", "no such loyalty member", field)
    check_active(member, field)
    return member


def check_active(member: Member, field: str) -> None:
    if member.status is not MemberStatus.ACTIVE:
        raise DomainError.single(
            "MEMBER_INACTIVE", f"the membership is {member.status.value}", field
        )


def expiry_of(earned_at: datetime, months: int | None, zone: ZoneInfo) -> datetime | None:
    """The end of the ``months``-th month after the month of ``earned_at`` (business time):
    earned on 15 March 2026 with 12 months, the points expire when April 2027 begins."""
    if months is None:
        return None
    local = earned_at.astimezone(zone)
    index = local.year * 12 + (local.month - 1) + months + 1
    year, month = divmod(index, 12)
    return datetime(year, month + 1, 1, tzinfo=zone).astimezone(earned_at.tzinfo)


@dataclass(frozen=True, slots=True)
class Posting:
    """What a posting did to the member: its id, the signed points and the new balance."""

    id: uuid.UUID
    points: int
    balance: int


def _line(
    posting_id: uuid.UUID,
    member: Member | None,
    program_id: uuid.UUID,
    account: str,
    kind: EntryKind,
    points: int,
    *,
    reason: str,
    source: str,
    source_ref: str | None,
    explanation: str,
    actor: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "posting_id": posting_id,
        "program_id": program_id,
        "account": account,
        "member_id": None if member is None else member.id,
        "customer_id": None if member is None else member.customer_id,
        "kind": kind,
        "points": points,
        "balance_after": None if member is None else member.points_balance,
        "reason": reason[:500],
        "source": source,
        "source_ref": source_ref,
        "explanation": explanation[:1000],
        "actor": actor,
        "created_at": now,
    }


async def _burn_lots(
    session: AsyncSession, member: Member, points: int, first_lot: uuid.UUID | None = None
) -> list[tuple[datetime | None, int]]:
    """Take ``points`` from the member's lots, ``first_lot`` first, then the soonest to expire
    (never-expiring last), then the oldest; return what was taken per expiry date."""
    order = [
        PointsLot.expires_at.is_(None),
        PointsLot.expires_at,
        PointsLot.earned_at,
        PointsLot.id,
    ]
    if first_lot is not None:
        order.insert(0, PointsLot.id != first_lot)
    lots = await session.scalars(
        select(PointsLot)
        .where(PointsLot.member_id == member.id, PointsLot.remaining > 0)
        .order_by(*order)
    )
    taken: list[tuple[datetime | None, int]] = []
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        lot.remaining -= take
        left -= take
        taken.append((lot.expires_at, take))
    return taken


async def post(
    session: AsyncSession,
    member: Member,
    kind: EntryKind,
    points: int,
    *,
    reason: str,
    source: str,
    source_ref: str | None = None,
    explanation: str = "",
    zone: ZoneInfo,
    program: Program | Row[Any] | None = None,
    first_lot: uuid.UUID | None = None,
    allow_negative: bool = False,
    now: datetime | None = None,
    posting_id: uuid.UUID | None = None,
) -> Posting:
    """Post ``points`` (positive: credit, negative: debit) to the locked ``member`` against
    the program account of ``kind``; credits open a lot, debits burn lots FIFO.

    A debit larger than the balance raises ``INSUFFICIENT_POINTS`` unless
    ``allow_negative``; a credit to a negative balance first pays the debt off. Earns and
    reversals also move the member's ``earned_points``.
    """
    if points == 0 or abs(points) > MAX_POINTS:
        raise DomainError.single("INVALID_POINTS", f"points must be 1 to {MAX_POINTS}", "points")
    now = now or utcnow()
    before = member.points_balance
    if points < 0 and before + points < 0 and not allow_negative:
        raise DomainError.single(
            "INSUFFICIENT_POINTS", f"the balance is {before} points, {-points} needed", "points"
        )
    program = program or await session.get_one(Program, member.program_id)
    posting_id = posting_id or uuid7()
    if points > 0:
        into_lot = min(points, points + before) if before < 0 else points
        if into_lot > 0:
            session.add(
                PointsLot(
                    id=uuid7(),
                    member_id=member.id,
                    posting_id=posting_id,
                    points=into_lot,
                    remaining=into_lot,
                    earned_at=now,
                    expires_at=expiry_of(now, program.expiry_months, zone),
                )
            )
    else:
        await _burn_lots(session, member, min(-points, max(before, 0)), first_lot)
    member.points_balance = before + points
    if kind in (EntryKind.EARN, EntryKind.REVERSE):
        member.earned_points += points
    actor = getattr(session.info.get("actor"), "name", None)
    common = {
        "reason": reason,
        "source": source,
        "source_ref": source_ref,
        "explanation": explanation,
        "actor": actor,
        "now": now,
    }
    rows = [
        _line(posting_id, member, program.id, MEMBER_ACCOUNT, kind, points, **common),
        _line(posting_id, None, program.id, program_account(kind), kind, -points, **common),
    ]
    session.add_all([LedgerEntry(**row) for row in rows])  # written with the next flush
    emit(
        session,
        "loyalty.points_changed",
        PointsChanged(
            member_id=str(member.id),
            kind=kind.value,
            points=points,
            balance=member.points_balance,
            explanation=explanation or reason,
        ),
        customer_id=member.customer_id,
    )
    return Posting(posting_id, points, member.points_balance)


async def transfer(
    session: AsyncSession,
    source: Member,
    target: Member,
    points: int,
    *,
    reason: str,
) -> Posting:
    """Move ``points`` between two locked members of one program; the lots keep their expiry."""
    if points <= 0 or points > MAX_POINTS:
        raise DomainError.single("INVALID_POINTS", f"points must be 1 to {MAX_POINTS}", "points")
    if source.id == target.id or source.program_id != target.program_id:
        raise DomainError.single(
            "INVALID", "points move between two members of one program", "to_member_id"
        )
    if source.points_balance < points:
        raise DomainError.single(
            "INSUFFICIENT_POINTS",
            f"the balance is {source.points_balance} points, {points} needed",
            "points",
        )
    now = utcnow()
    posting_id = uuid7()
    for expires_at, taken in await _burn_lots(session, source, points):
        session.add(
            PointsLot(
                id=uuid7(),
                member_id=target.id,
                posting_id=posting_id,
                points=taken,
                remaining=taken,
                earned_at=now,
                expires_at=expires_at,
            )
        )
    source.points_balance -= points
    target.points_balance += points
    actor = getattr(session.info.get("actor"), "name", None)
    common = {
        "reason": reason,
        "source": "transfer",
        "source_ref": None,
        "explanation": f"{points:,} points moved",
        "actor": actor,
        "now": now,
    }
    kind = EntryKind.TRANSFER
    rows = [
        _line(posting_id, source, source.program_id, MEMBER_ACCOUNT, kind, -points, **common),
        _line(posting_id, target, source.program_id, MEMBER_ACCOUNT, kind, points, **common),
    ]
    await session.flush()
    await session.execute(LedgerEntry.__table__.insert(), rows)
    for member, signed in ((source, -points), (target, points)):
        emit(
            session,
            "loyalty.points_changed",
            PointsChanged(
                member_id=str(member.id),
                kind=kind.value,
                points=signed,
                balance=member.points_balance,
                explanation=reason,
            ),
            customer_id=member.customer_id,
        )
    return Posting(posting_id, points, source.points_balance)


def note_on_timeline(session: AsyncSession, member: Member, title: str, summary: str) -> None:
    add_entry(
        session,
        member.customer_id,
        "loyalty.points_changed",
        title,
        summary=summary,
        ref_type="LoyaltyMember",
        ref_id=member.id,
    )


@dataclass(frozen=True, slots=True)
class Mismatch:
    member_id: uuid.UUID
    balance: int
    entries: int
    lots: int


async def mismatches(session: AsyncSession) -> tuple[int, list[Mismatch]]:
    """Members whose balance differs from the sum of their entries, or whose open lots do not
    hold exactly the positive part of it; also how many members were checked."""
    entries = (
        select(LedgerEntry.member_id, func.sum(LedgerEntry.points).label("total"))
        .where(LedgerEntry.member_id.is_not(None))
        .group_by(LedgerEntry.member_id)
        .subquery()
    )
    lots = (
        select(PointsLot.member_id, func.sum(PointsLot.remaining).label("total"))
        .group_by(PointsLot.member_id)
        .subquery()
    )
    rows = (
        await session.execute(
            select(
                Member.id,
                Member.points_balance,
                func.coalesce(entries.c.total, 0),
                func.coalesce(lots.c.total, 0),
            )
            .outerjoin(entries, entries.c.member_id == Member.id)
            .outerjoin(lots, lots.c.member_id == Member.id)
        )
    ).all()
    found = [
        Mismatch(member_id, balance, int(total), int(held))
        for member_id, balance, total, held in rows
        if balance != int(total) or max(balance, 0) != int(held)
    ]
    return len(rows), found


async def unbalanced_postings(session: AsyncSession) -> list[uuid.UUID]:
    """Postings whose lines do not sum to zero (there should be none)."""
    stmt = (
        select(LedgerEntry.posting_id)
        .group_by(LedgerEntry.posting_id)
        .having(func.sum(LedgerEntry.points) != 0)
    )
    return list((await session.scalars(stmt)).all())


async def anonymise_entries(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Erasure: the customer's entries stay (postings keep balancing) with nothing that
    identifies them. The only change ever made to an entry, through a Core UPDATE."""
    await session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.customer_id == customer_id)
        .values(
            customer_id=None,
            member_id=None,
            account="erased",
            balance_after=None,
            reason="erased",
            source_ref=None,
            explanation="",
            actor=None,
        )
    )
