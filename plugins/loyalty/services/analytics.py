"""Programme analytics over a period: members, enrolment, points flows, liability, tiers.

Each figure is one aggregate statement; nothing is loaded row by row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError
from unicrm.core.graph.stores.models import Store
from unicrm.plugins.loyalty.models import (
    EntryKind,
    LedgerEntry,
    Member,
    PosTransaction,
    Program,
    Redemption,
    TierChange,
    TransactionKind,
)
from unicrm.plugins.loyalty.services.ledger import MEMBER_ACCOUNT


@dataclass(frozen=True, slots=True)
class Analytics:
    members: int
    active_members: int
    enrolments: list[tuple[str, str | None, int]]
    points_liability: int
    flows: dict[str, int]
    redeeming_members: int
    tiers: list[tuple[str, int]]
    tier_moves: list[tuple[str, str, int]]

    @property
    def redemption_rate(self) -> float:
        """Share of the period's active members who redeemed a reward in it."""
        return 0.0 if not self.active_members else self.redeeming_members / self.active_members


async def analytics(
    session: AsyncSession, program_code: str, since: datetime, until: datetime
) -> Analytics:
    if until <= since:
        raise DomainError.single("INVALID", "the period ends after it starts", "until")
    program_id: uuid.UUID | None = await session.scalar(
        select(Program.id).where(Program.code == program_code)
    )
    if program_id is None:
        raise DomainError.single("PROGRAM_NOT_FOUND", "no such program", "program_code")
    in_program = Member.program_id == program_id
    members, liability = (
        await session.execute(
            select(
                func.count(Member.id),
                func.coalesce(
                    func.sum(case((Member.points_balance > 0, Member.points_balance), else_=0)), 0
                ),
            ).where(in_program)
        )
    ).one()
    active = await session.scalar(
        select(func.count(distinct(PosTransaction.member_id)))
        .join(Member, Member.id == PosTransaction.member_id)
        .where(
            in_program,
            PosTransaction.kind == TransactionKind.SALE,
            PosTransaction.occurred_at >= since,
            PosTransaction.occurred_at < until,
        )
    )
    enrolments = (
        await session.execute(
            select(Member.channel, Store.code, func.count(Member.id))
            .outerjoin(Store, Store.id == Member.store_id)
            .where(in_program, Member.enrolled_at >= since, Member.enrolled_at < until)
            .group_by(Member.channel, Store.code)
            .order_by(Member.channel, Store.code)
        )
    ).all()
    flows = dict(
        (
            await session.execute(
                select(LedgerEntry.kind, func.sum(LedgerEntry.points))
                .where(
                    LedgerEntry.program_id == program_id,
                    LedgerEntry.account == MEMBER_ACCOUNT,
                    LedgerEntry.created_at >= since,
                    LedgerEntry.created_at < until,
                )
                .group_by(LedgerEntry.kind)
            )
        ).all()
    )
    redeeming = await session.scalar(
        select(func.count(distinct(Redemption.member_id)))
        .join(Member, Member.id == Redemption.member_id)
        .where(in_program, Redemption.created_at >= since, Redemption.created_at < until)
    )
    tiers = (
        await session.execute(
            select(Member.tier, func.count(Member.id))
            .where(in_program)
            .group_by(Member.tier)
            .order_by(Member.tier)
        )
    ).all()
    moves = (
        await session.execute(
            select(TierChange.from_tier, TierChange.to_tier, func.count(TierChange.id))
            .join(Member, Member.id == TierChange.member_id)
            .where(in_program, TierChange.changed_at >= since, TierChange.changed_at < until)
            .group_by(TierChange.from_tier, TierChange.to_tier)
            .order_by(TierChange.from_tier, TierChange.to_tier)
        )
    ).all()
    return Analytics(
        members=int(members),
        active_members=int(active or 0),
        enrolments=[(channel.value, store, int(n)) for channel, store, n in enrolments],
        points_liability=int(liability),
        flows={kind.value: int(flows.get(kind, 0) or 0) for kind in EntryKind},
        redeeming_members=int(redeeming or 0),
        tiers=[(tier, int(n)) for tier, n in tiers],
        tier_moves=[(a, b, int(n)) for a, b, n in moves],
    )
