"""Missions: progress counted from POS sales, a coupon claimed once on completion.

Progress moves inside the sale's own transaction, so a sale counts exactly once: a replayed
or concurrent duplicate of the sale is refused by its (store, transaction id) key before it
reaches here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.plugins.loyalty.models import (
    CouponOffer,
    Member,
    Mission,
    MissionKind,
    MissionProgress,
)
from unicrm.plugins.loyalty.services import coupons, earn, ledger
from unicrm.plugins.loyalty.services.config import ProgramConfig, bump


@dataclass
class MissionData:
    program_code: str
    code: str
    name: str
    kind: MissionKind
    target: int
    offer_code: str
    sku: str | None = None
    category: str | None = None
    modifier: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


async def create_mission(session: AsyncSession, data: MissionData) -> Mission:
    errors = []
    if not data.code or len(data.code) > 32:
        errors.append(FieldError("INVALID", "a code is 1 to 32 characters", "code"))
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name is 1 to 200 characters", "name"))
    if not 1 <= data.target <= 10_000:
        errors.append(FieldError("INVALID", "a target is 1 to 10,000", "target"))
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors.append(FieldError("INVALID", "a mission ends after it starts", "ends_at"))
    if errors:
        raise DomainError(*errors)
    offer = await coupons.offer_by_code(session, data.program_code, data.offer_code)
    if await session.scalar(
        select(Mission.id).where(Mission.program_id == offer.program_id, Mission.code == data.code)
    ):
        raise DomainError.single("DUPLICATE", f"a mission {data.code!r} exists", "code")
    mission = Mission(
        id=uuid7(),
        program_id=offer.program_id,
        code=data.code,
        name=data.name.strip(),
        kind=data.kind,
        target=data.target,
        sku=data.sku,
        category=data.category,
        modifier=data.modifier,
        offer_id=offer.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        active=True,
    )
    session.add(mission)
    await bump(session, offer.program_id)
    await session.flush()
    return mission


def _step(mission: Row[Any], lines: list[earn.Line]) -> int:
    """How far a sale moves a mission (before the distinct-day rule of visits)."""
    matched = [line for line in lines if earn.matches(mission, line)]
    if mission.kind is MissionKind.ITEMS:
        return sum(line.quantity for line in matched)
    return 1 if matched else 0


async def held_progress(
    session: AsyncSession, member_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], MissionProgress]:
    """The mission progress rows of these (locked) members, by mission and member."""
    if not member_ids:
        return {}
    rows = await session.scalars(
        select(MissionProgress).where(MissionProgress.member_id.in_(member_ids))
    )
    return {(p.mission_id, p.member_id): p for p in rows}


async def after_sale(
    session: AsyncSession,
    member: Member,
    config: ProgramConfig,
    lines: list[earn.Line],
    occurred_at: datetime,
    day: date,
    held: dict[tuple[uuid.UUID, uuid.UUID], MissionProgress] | None = None,
) -> list[str]:
    """Move the locked member's missions for one sale; return notes for the ones completed.
    ``held``: the progress rows of a batch's members (``held_progress``), kept up to date."""
    steps = [
        (mission, step)
        for mission in config.missions
        if not (mission.starts_at and occurred_at < mission.starts_at)
        and not (mission.ends_at and occurred_at >= mission.ends_at)
        and (step := _step(mission, lines)) > 0
    ]
    return await _advance(session, member, steps, day, held)


async def after_visit(
    session: AsyncSession, member: Member, config: ProgramConfig, at: datetime, day: date
) -> list[str]:
    """A check-in at a store is a visit for the ``VISITS`` missions without line conditions."""
    steps = [
        (mission, 1)
        for mission in config.missions
        if mission.kind is MissionKind.VISITS
        and mission.sku is None
        and mission.category is None
        and mission.modifier is None
        and not (mission.starts_at and at < mission.starts_at)
        and not (mission.ends_at and at >= mission.ends_at)
    ]
    return await _advance(session, member, steps, day, None)


async def _advance(
    session: AsyncSession,
    member: Member,
    steps: list[tuple[Row[Any], int]],
    day: date,
    held: dict[tuple[uuid.UUID, uuid.UUID], MissionProgress] | None,
) -> list[str]:
    if not steps:
        return []
    if held is None:
        held = await held_progress(session, [member.id])
    notes = []
    for mission, step in steps:
        progress = held.get((mission.id, member.id))
        if progress is None:  # the member is locked: nobody else inserts it meanwhile
            progress = MissionProgress(mission_id=mission.id, member_id=member.id, progress=0)
            session.add(progress)
            held[mission.id, member.id] = progress
        if progress.completed_at is not None:
            continue
        if mission.kind is MissionKind.VISITS:
            if progress.last_day == day:
                continue
            progress.last_day = day
        progress.progress = min(progress.progress + step, mission.target)
        if progress.progress >= mission.target:
            progress.completed_at = utcnow()
            notes.append(f"Mission complete: {mission.name}")
    return notes


async def claim(session: AsyncSession, member_id: uuid.UUID, code: str) -> MissionProgress:
    """Issue the completed mission's coupon to its member, once."""
    member = await ledger.active_member(session, member_id, "member_id")
    mission = await session.scalar(
        select(Mission).where(Mission.program_id == member.program_id, Mission.code == code)
    )
    if mission is None:
        raise DomainError.single("MISSION_NOT_FOUND", "no such mission", "mission_code")
    progress = await session.get(MissionProgress, (mission.id, member.id), with_for_update=True)
    if progress is None or progress.completed_at is None:
        raise DomainError.single(
            "MISSION_NOT_COMPLETE", "the mission is not complete yet", "mission_code"
        )
    if progress.coupon_id is not None:
        raise DomainError.single(
            "MISSION_REWARD_CLAIMED", "the reward was already claimed", "mission_code"
        )
    offer = await session.get_one(CouponOffer, mission.offer_id)
    [coupon] = await coupons.issue(session, offer, [member], f"mission:{mission.code}")
    progress.coupon_id = coupon.id
    await session.flush()
    return progress
