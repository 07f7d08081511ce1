"""Tiers: qualification over a rolling window, upgrade at once, downgrade at review with grace.

A member qualifies for a tier with ``qualify_points`` earned or ``qualify_spend`` spent
(sales less refunds) within the tier's ``window_months``; a tier with neither threshold is
open to everyone. An earn that qualifies the member for a higher tier upgrades them at once.
The periodic review (``loyalty.review_tiers``) renews a tier the member still qualifies for
and downgrades to the best tier they qualify for once the tier is older than its window plus
its ``grace_months``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.timeline.services import add_entry
from unicrm.plugins.loyalty.models import (
    EntryKind,
    LedgerEntry,
    Member,
    PosTransaction,
    Program,
    Tier,
    TierChange,
    TransactionKind,
)
from unicrm.plugins.loyalty.services.config import ProgramConfig, bump


class TierLike(Protocol):
    """A tier as a model or as a cached row of ``ProgramConfig``."""

    code: str
    name: str
    qualify_points: int | None
    qualify_spend: Decimal | None


def months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True, slots=True)
class Standing:
    """What a member earned and spent within a window."""

    points: int
    spend: Decimal


async def standing(session: AsyncSession, member_id: uuid.UUID, since: datetime) -> Standing:
    points = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
            LedgerEntry.member_id == member_id,
            LedgerEntry.kind.in_((EntryKind.EARN, EntryKind.REVERSE)),
            LedgerEntry.created_at >= since,
        )
    )
    spend = await session.scalar(
        select(func.sum(PosTransaction.amount - PosTransaction.refunded)).where(
            PosTransaction.member_id == member_id,
            PosTransaction.kind == TransactionKind.SALE,
            PosTransaction.occurred_at >= since,
        )
    )
    return Standing(int(points or 0), spend or Decimal(0))


def qualifies(tier: TierLike, got: Standing) -> bool:
    if tier.qualify_points is None and tier.qualify_spend is None:
        return True
    return (tier.qualify_points is not None and got.points >= tier.qualify_points) or (
        tier.qualify_spend is not None and got.spend >= tier.qualify_spend
    )


async def program_tiers(session: AsyncSession, program_id: uuid.UUID) -> list[Tier]:
    return list(
        (
            await session.scalars(
                select(Tier).where(Tier.program_id == program_id).order_by(Tier.rank.desc())
            )
        ).all()
    )


async def best_tier(
    session: AsyncSession, member: Member, tiers: list[Tier], now: datetime
) -> Tier | None:
    for tier in tiers:
        got = await standing(session, member.id, months_before(now, tier.window_months))
        if qualifies(tier, got):
            return tier
    return None


def _move(session: AsyncSession, member: Member, to: TierLike, reason: str, now: datetime) -> str:
    note = f"{'Upgraded' if reason == 'upgrade' else 'Moved'} from {member.tier} to {to.name}"
    session.add(
        TierChange(
            id=uuid7(),
            member_id=member.id,
            from_tier=member.tier,
            to_tier=to.code,
            reason=reason,
            changed_at=now,
        )
    )
    member.tier, member.tier_since = to.code, now
    add_entry(
        session,
        member.customer_id,
        "loyalty.tier_changed",
        note,
        ref_type="LoyaltyMember",
        ref_id=member.id,
    )
    return note


async def after_earn(session: AsyncSession, member: Member, config: ProgramConfig) -> list[str]:
    """Upgrade the locked member at once when they now qualify for a higher tier.

    A window never holds more than the member's lifetime counters, so a tier those do not
    reach is passed over without reading the window."""
    ranks = {t.code: t.rank for t in config.tiers}
    current = ranks.get(member.tier, -1)
    ever = Standing(member.earned_points, member.spend)
    now = utcnow()
    for tier in config.tiers:
        if tier.rank <= current:
            break
        if not qualifies(tier, ever):
            continue
        await session.flush()  # a batch's earlier sales count (it runs unflushed)
        got = await standing(session, member.id, months_before(now, tier.window_months))
        if qualifies(tier, got):
            return [_move(session, member, tier, "upgrade", now)]
    return []


async def review(session: AsyncSession, member: Member, now: datetime) -> str | None:
    """The periodic review of one locked member: renew, or downgrade after the grace."""
    tiers = await program_tiers(session, member.program_id)
    by_code = {t.code: t for t in tiers}
    current = by_code.get(member.tier)
    if current is None:
        return None
    best = await best_tier(session, member, tiers, now)
    if best is None:
        return None
    if best.rank > current.rank:
        return _move(session, member, best, "upgrade", now)
    if best.rank == current.rank:
        member.tier_since = now
        return None
    since = member.tier_since or member.enrolled_at
    if since > months_before(now, current.window_months + current.grace_months):
        return None
    return _move(session, member, best, "downgrade", now)


@dataclass(frozen=True, slots=True)
class Progress:
    """What the member needs within the next tier's window to reach it."""

    next_tier: Tier | None
    points_needed: int | None
    spend_needed: Decimal | None


async def standings(
    session: AsyncSession, member_ids: list[uuid.UUID], since: datetime
) -> dict[uuid.UUID, Standing]:
    """``standing`` of many members over one window: two statements."""
    points = dict(
        (
            await session.execute(
                select(LedgerEntry.member_id, func.sum(LedgerEntry.points))
                .where(
                    LedgerEntry.member_id.in_(member_ids),
                    LedgerEntry.kind.in_((EntryKind.EARN, EntryKind.REVERSE)),
                    LedgerEntry.created_at >= since,
                )
                .group_by(LedgerEntry.member_id)
            )
        ).all()
    )
    spend = dict(
        (
            await session.execute(
                select(
                    PosTransaction.member_id,
                    func.sum(PosTransaction.amount - PosTransaction.refunded),
                )
                .where(
                    PosTransaction.member_id.in_(member_ids),
                    PosTransaction.kind == TransactionKind.SALE,
                    PosTransaction.occurred_at >= since,
                )
                .group_by(PosTransaction.member_id)
            )
        ).all()
    )
    return {m: Standing(int(points.get(m) or 0), spend.get(m) or Decimal(0)) for m in member_ids}


async def progress_of(session: AsyncSession, members: list[Member]) -> dict[uuid.UUID, Progress]:
    """What each member needs for their next tier: one statement for the tiers, then two per
    distinct window length of the next tiers (usually one), whatever the number of members."""
    programs = {m.program_id for m in members}
    tiers = (
        await session.scalars(
            select(Tier).where(Tier.program_id.in_(programs)).order_by(Tier.rank.desc())
        )
    ).all()
    nxt: dict[uuid.UUID, Tier] = {}
    for member in members:
        own = [t for t in tiers if t.program_id == member.program_id]
        current = next((t.rank for t in own if t.code == member.tier), -1)
        higher = [t for t in own if t.rank > current]
        if higher:
            nxt[member.id] = higher[-1]
    now = utcnow()
    got: dict[uuid.UUID, Standing] = {}
    for months in {t.window_months for t in nxt.values()}:
        ids = [m for m, t in nxt.items() if t.window_months == months]
        got |= await standings(session, ids, months_before(now, months))
    found = {m.id: Progress(None, None, None) for m in members}
    for member_id, tier in nxt.items():
        have = got[member_id]
        found[member_id] = Progress(
            tier,
            None if tier.qualify_points is None else max(tier.qualify_points - have.points, 0),
            None
            if tier.qualify_spend is None
            else max(tier.qualify_spend - have.spend, Decimal(0)),
        )
    return found


@dataclass
class TierData:
    program_code: str
    code: str
    name: str
    rank: int
    earn_multiplier: Decimal
    qualify_points: int | None
    qualify_spend: Decimal | None
    window_months: int
    grace_months: int
    benefits: str | None


async def save_tier(session: AsyncSession, data: TierData) -> Tier:
    """Create the tier, or change the program's tier with this code."""
    errors = []
    if not data.code or len(data.code) > 32:
        errors.append(FieldError("INVALID", "a code is 1 to 32 characters", "code"))
    if not data.name.strip() or len(data.name) > 100:
        errors.append(FieldError("INVALID", "a name is 1 to 100 characters", "name"))
    if not Decimal(0) < data.earn_multiplier <= Decimal(100):
        errors.append(
            FieldError("INVALID", "the multiplier is over 0, at most 100", "earn_multiplier")
        )
    if data.qualify_points is not None and data.qualify_points < 0:
        errors.append(FieldError("INVALID", "qualifying points are not negative", "qualify_points"))
    if data.qualify_spend is not None and data.qualify_spend < 0:
        errors.append(FieldError("INVALID", "qualifying spend is not negative", "qualify_spend"))
    if not 1 <= data.window_months <= 60:
        errors.append(FieldError("INVALID", "the window is 1 to 60 months", "window_months"))
    if not 0 <= data.grace_months <= 24:
        errors.append(FieldError("INVALID", "the grace is 0 to 24 months", "grace_months"))
    if errors:
        raise DomainError(*errors)
    program = await session.scalar(select(Program).where(Program.code == data.program_code))
    if program is None:
        raise DomainError.single("PROGRAM_NOT_FOUND", "no such program", "program_code")
    tier = await session.scalar(
        select(Tier).where(Tier.program_id == program.id, Tier.code == data.code)
    )
    if tier is None:
        tier = Tier(id=uuid7(), program_id=program.id, code=data.code)
        session.add(tier)
    tier.name, tier.rank, tier.earn_multiplier = data.name.strip(), data.rank, data.earn_multiplier
    tier.qualify_points, tier.qualify_spend = data.qualify_points, data.qualify_spend
    tier.window_months, tier.grace_months = data.window_months, data.grace_months
    tier.benefits = data.benefits
    await bump(session, program.id)
    await session.flush()
    return tier
