"""The reward catalogue, redemption, and manual adjustments of points.

``redeem`` locks the member row, then the reward row, and only then reads the balance, the
stock and the member's earlier redemptions: of any number of concurrent redemptions, each sees
what the previous one left, so none spends points or stock twice.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.audit.services import record
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.ids import to_global_id
from unicrm.plugins.loyalty.events import RewardRedeemed
from unicrm.plugins.loyalty.models import EntryKind, Member, Program, Redemption, Reward
from unicrm.plugins.loyalty.services import ledger

MAX_REASON = 500


@dataclass
class RewardData:
    program_code: str
    code: str
    name: str
    points_price: int
    stock: int | None = None
    per_member_limit: int | None = None
    tiers: list[str] | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


async def create_reward(session: AsyncSession, data: RewardData) -> Reward:
    errors = []
    if not data.code or len(data.code) > 32:
        errors.append(FieldError("INVALID", "a code is 1 to 32 characters", "code"))
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name is 1 to 200 characters", "name"))
    if not 1 <= data.points_price <= ledger.MAX_POINTS:
        errors.append(FieldError("INVALID", "the price is at least 1 point", "points_price"))
    if data.stock is not None and data.stock < 0:
        errors.append(FieldError("INVALID", "stock is not negative", "stock"))
    if data.per_member_limit is not None and data.per_member_limit < 1:
        errors.append(FieldError("INVALID", "a limit is at least 1", "per_member_limit"))
    if data.valid_from and data.valid_until and data.valid_until <= data.valid_from:
        errors.append(FieldError("INVALID", "validity ends after it starts", "valid_until"))
    if errors:
        raise DomainError(*errors)
    program = await session.scalar(select(Program).where(Program.code == data.program_code))
    if program is None:
        raise DomainError.single("PROGRAM_NOT_FOUND", "no such program", "program_code")
    if await session.scalar(
        select(Reward.id).where(Reward.program_id == program.id, Reward.code == data.code)
    ):
        raise DomainError.single("DUPLICATE", f"a reward {data.code!r} exists", "code")
    reward = Reward(
        id=uuid7(),
        program_id=program.id,
        code=data.code,
        name=data.name.strip(),
        points_price=data.points_price,
        stock=data.stock,
        per_member_limit=data.per_member_limit,
        tiers=list(data.tiers or []),
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        active=True,
    )
    session.add(reward)
    await session.flush()
    return reward


async def redeem(
    session: AsyncSession, member_id: uuid.UUID, reward_id: uuid.UUID, zone: ZoneInfo
) -> Redemption:
    member = await ledger.active_member(session, member_id, "member_id")
    reward = await session.scalar(
        select(Reward)
        .where(Reward.id == reward_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if reward is None or reward.program_id != member.program_id:
        raise DomainError.single("REWARD_NOT_FOUND", "no such reward in the program", "reward_id")
    now = utcnow()
    if (
        not reward.active
        or (reward.valid_from is not None and now < reward.valid_from)
        or (reward.valid_until is not None and now >= reward.valid_until)
    ):
        raise DomainError.single("REWARD_UNAVAILABLE", "the reward is not offered now", "reward_id")
    if reward.tiers and member.tier not in reward.tiers:
        raise DomainError.single(
            "TIER_RESTRICTED", f"for {', '.join(reward.tiers)} members only", "reward_id"
        )
    if reward.stock is not None and reward.stock < 1:
        raise DomainError.single("OUT_OF_STOCK", "the reward is out of stock", "reward_id")
    if reward.per_member_limit is not None:
        taken = await session.scalar(
            select(func.count())
            .select_from(Redemption)
            .where(Redemption.member_id == member.id, Redemption.reward_id == reward.id)
        )
        if (taken or 0) >= reward.per_member_limit:
            raise DomainError.single(
                "LIMIT_REACHED", f"at most {reward.per_member_limit} per member", "reward_id"
            )
    if member.points_balance < reward.points_price:
        raise DomainError.single(
            "INSUFFICIENT_POINTS",
            f"the reward costs {reward.points_price:,} points; the balance is "
            f"{member.points_balance:,}",
            "reward_id",
        )
    if reward.stock is not None:
        reward.stock -= 1
    explanation = f"-{reward.points_price:,} points: {reward.name}"
    posting = await ledger.post(
        session,
        member,
        EntryKind.BURN,
        -reward.points_price,
        reason="reward",
        source="reward",
        source_ref=reward.code,
        explanation=explanation,
        zone=zone,
        now=now,
    )
    redemption = Redemption(
        id=uuid7(),
        reward_id=reward.id,
        member_id=member.id,
        customer_id=member.customer_id,
        points=reward.points_price,
        posting_id=posting.id,
        voucher=secrets.token_hex(8).upper(),
        created_at=now,
    )
    session.add(redemption)
    emit(
        session,
        "loyalty.reward_redeemed",
        RewardRedeemed(
            member_id=str(member.id),
            reward=reward.code,
            points=reward.points_price,
            voucher=redemption.voucher,
        ),
        customer_id=member.customer_id,
    )
    ledger.note_on_timeline(session, member, f"Redeemed {reward.name}", explanation)
    await session.flush()
    return redemption


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError.single("REQUIRED", "an adjustment needs a reason", "reason")
    if len(reason) > MAX_REASON:
        raise DomainError.single("TOO_LONG", f"at most {MAX_REASON} characters", "reason")
    return reason


async def adjust(
    session: AsyncSession, member_id: uuid.UUID, points: int, reason: str, zone: ZoneInfo
) -> Member:
    """A manual correction by staff, with its reason, written to the audit log."""
    reason = _reason(reason)
    member = await ledger.lock_member(session, member_id)
    if member is None:
        raise DomainError.single("MEMBER_NOT_FOUND", "no such loyalty member", "member_id")
    sign = "+" if points > 0 else ""
    explanation = f"{sign}{points:,} points: adjustment ({reason})"
    await ledger.post(
        session,
        member,
        EntryKind.ADJUST,
        points,
        reason=reason,
        source="manual",
        explanation=explanation,
        zone=zone,
    )
    ledger.note_on_timeline(session, member, "Points adjusted", explanation)
    await _audit(session, "loyalty.points_adjusted", [member], points, reason)
    return member


async def transfer(
    session: AsyncSession,
    from_id: uuid.UUID,
    to_id: uuid.UUID,
    points: int,
    reason: str,
) -> Member:
    reason = _reason(reason)
    if from_id == to_id:
        raise DomainError.single("INVALID", "points move between two members", "to_member_id")
    locked: dict[uuid.UUID, Member] = {}
    for pk in sorted((from_id, to_id)):  # one locking order: no deadlock between transfers
        member = await ledger.lock_member(session, pk)
        if member is None:
            field = "from_member_id" if pk == from_id else "to_member_id"
            raise DomainError.single("MEMBER_NOT_FOUND", "no such loyalty member", field)
        locked[pk] = member
    await ledger.transfer(session, locked[from_id], locked[to_id], points, reason=reason)
    await _audit(
        session, "loyalty.points_transferred", [locked[from_id], locked[to_id]], points, reason
    )
    return locked[from_id]


async def _audit(
    session: AsyncSession, action: str, members: list[Member], points: int, reason: str
) -> None:
    actor = session.info.get("actor")
    if actor is None:
        return
    await record(
        session,
        actor=actor,
        action=action,
        department=session.info.get("department"),
        targets=[to_global_id("LoyaltyMember", m.id) for m in members],
        details={"points": points, "reason": reason},
    )
