"""Loyalty's loaders: one statement per batch of keys (the tier progress: a few per batch)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import entities_by, latest_by, many_per_key, one_per_key
from unicrm.plugins.loyalty.models import (
    Coupon,
    CouponOffer,
    LedgerEntry,
    Member,
    MemberType,
    Mission,
    MissionProgress,
    PointsLot,
    Program,
    Redemption,
    Reward,
    Tier,
    TierChange,
)
from unicrm.plugins.loyalty.services.members import visible_members
from unicrm.plugins.loyalty.services.tiers import progress_of


async def _open_lots(session: AsyncSession, keys: list[uuid.UUID]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(PointsLot)
        .where(PointsLot.member_id.in_(keys), PointsLot.remaining > 0)
        .order_by(PointsLot.expires_at.is_(None), PointsLot.expires_at, PointsLot.earned_at)
    )
    return [(row.member_id, row) for row in rows]


async def _missions(session: AsyncSession, keys: list[uuid.UUID]) -> list[tuple[Any, Any]]:
    """Each member's programme's active missions with the member's progress (or None)."""
    rows = await session.execute(
        select(Member.id, Mission, MissionProgress)
        .join(Mission, Mission.program_id == Member.program_id)
        .outerjoin(
            MissionProgress,
            (MissionProgress.mission_id == Mission.id) & (MissionProgress.member_id == Member.id),
        )
        .where(Member.id.in_(keys), Mission.active.is_(True))
        .order_by(Mission.code)
    )
    return [(member_id, (mission, progress)) for member_id, mission, progress in rows]


async def _progress(session: AsyncSession, keys: list[uuid.UUID]) -> list[tuple[Any, Any]]:
    members = list(await session.scalars(select(Member).where(Member.id.in_(keys))))
    return list((await progress_of(session, members)).items())


MEMBERS = Member.__table__
"""Members load as light Core rows: every customer page and member list reads them."""

_earliest_first = entities_by(MEMBERS.c.customer_id, Member.enrolled_at.desc(), Member.id.desc())
"""A customer's first membership: ``one_per_key`` keeps the last pair of each key."""


LOADERS = {
    "loyalty.member_by_id": one_per_key(entities_by(MEMBERS.c.id), visible_members),
    "loyalty.member_by_customer": one_per_key(_earliest_first, visible_members),
    "loyalty.members_by_customer": many_per_key(
        entities_by(MEMBERS.c.customer_id, Member.enrolled_at, Member.id), visible_members
    ),
    "loyalty.program_by_id": one_per_key(entities_by(Program.id)),
    "loyalty.member_type_by_id": one_per_key(entities_by(MemberType.id)),
    "loyalty.member_types_by_program": many_per_key(
        entities_by(MemberType.program_id, MemberType.code)
    ),
    "loyalty.tiers_by_program": many_per_key(entities_by(Tier.program_id, Tier.rank)),
    "loyalty.rewards_by_program": many_per_key(entities_by(Reward.program_id, Reward.code)),
    "loyalty.reward_by_id": one_per_key(entities_by(Reward.id)),
    "loyalty.ledger_by_member": many_per_key(
        latest_by(LedgerEntry.member_id, LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
    ),
    "loyalty.open_lots_by_member": many_per_key(_open_lots),
    "loyalty.redemptions_by_member": many_per_key(
        entities_by(Redemption.member_id, Redemption.created_at.desc())
    ),
    "loyalty.tier_changes_by_member": many_per_key(
        entities_by(TierChange.member_id, TierChange.changed_at.desc())
    ),
    "loyalty.tier_progress_by_member": one_per_key(_progress),
    "loyalty.coupons_by_member": many_per_key(
        entities_by(Coupon.member_id, Coupon.issued_at.desc(), Coupon.id.desc())
    ),
    "loyalty.coupon_offer_by_id": one_per_key(entities_by(CouponOffer.id)),
    "loyalty.missions_by_member": many_per_key(_missions),
}
