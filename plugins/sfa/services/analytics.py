"""Sales analytics over a period, within the caller's row scope (a rep: their own deals; a
manager: the organization): deals created, won and lost, win rate, average won deal, average
sales cycle, open and weighted pipeline, time in stage, win rate by source, and a leaderboard.

Money figures count the deals in the installation's currency only. Each figure is one
aggregate statement, whatever the number of deals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Float, and_, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import MONEY_QUANTUM, from_minor
from unicrm.core.errors import DomainError
from unicrm.plugins.sfa.models import Deal, DealSource, Stage, StageChange, StageKind

MAX_DAYS = 3660
LEADERS = 10


@dataclass(frozen=True, slots=True)
class StageTime:
    stage_id: uuid.UUID
    moves: int
    average_days: float


@dataclass(frozen=True, slots=True)
class Leader:
    owner_id: uuid.UUID
    won: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SourceRate:
    """Deals of one source closed in the period."""

    source: DealSource
    won: int
    lost: int

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return None if closed == 0 else self.won / closed


@dataclass(frozen=True, slots=True)
class Analytics:
    created: int
    won: int
    lost: int
    average_won: Decimal | None
    average_cycle_days: float | None
    open_pipeline: Decimal
    weighted_pipeline: Decimal
    stage_times: list[StageTime]
    leaders: list[Leader]
    sources: list[SourceRate]

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return None if closed == 0 else self.won / closed


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise DomainError.single("INVALID", "to is before from", "to")
    if (end - start).days > MAX_DAYS:
        raise DomainError.single("INVALID", f"a period is at most {MAX_DAYS} days", "to")
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(1), time(), UTC)


def _raw(amount: Any) -> Any:
    """The stored ten-thousandths of a money column, for arithmetic in SQL."""
    return type_coerce(amount, BigInteger)


def _days(session: AsyncSession, later: Any, earlier: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


async def analytics(
    session: AsyncSession,
    start: date,
    end: date,
    currency: str,
    scope: ColumnElement[bool] | None,
) -> Analytics:
    lo, hi = _bounds(start, end)
    seen = Deal.id.is_not(None) if scope is None else scope
    kind = select(Stage.kind).where(Stage.id == Deal.stage_id).scalar_subquery()
    closed_in = and_(Deal.closed_at >= lo, Deal.closed_at < hi)
    won = and_(closed_in, kind == StageKind.WON)
    mine = Deal.currency == currency
    created, won_count, lost_count, won_sum, cycle = (
        await session.execute(
            select(
                func.count().filter(and_(Deal.created_at >= lo, Deal.created_at < hi)),
                func.count().filter(won),
                func.count().filter(and_(closed_in, kind == StageKind.LOST)),
                func.avg(_raw(Deal.amount)).filter(and_(won, mine)),
                func.avg(_days(session, Deal.closed_at, Deal.created_at)).filter(won),
            ).where(seen)
        )
    ).one()
    open_sum, weighted = (
        await session.execute(
            select(
                func.coalesce(func.sum(_raw(Deal.amount)), 0),
                func.coalesce(func.sum(_raw(Deal.amount) * Stage.probability), 0),
            )
            .join(Stage, Stage.id == Deal.stage_id)
            .where(seen, mine, Stage.kind == StageKind.OPEN)
        )
    ).one()
    moves = (
        await session.execute(
            select(
                StageChange.from_stage_id,
                func.count(),
                func.avg(type_coerce(StageChange.seconds_in_stage, Float)),
            )
            .join(Deal, Deal.id == StageChange.deal_id)
            .where(
                seen,
                StageChange.from_stage_id.is_not(None),
                StageChange.changed_at >= lo,
                StageChange.changed_at < hi,
            )
            .group_by(StageChange.from_stage_id)
        )
    ).all()
    leaders = (
        await session.execute(
            select(Deal.owner_id, func.count(), func.sum(_raw(Deal.amount)))
            .where(seen, won, mine, Deal.owner_id.is_not(None))
            .group_by(Deal.owner_id)
            .order_by(func.sum(_raw(Deal.amount)).desc(), Deal.owner_id)
            .limit(LEADERS)
        )
    ).all()
    sources = (
        await session.execute(
            select(
                Deal.source,
                func.count().filter(kind == StageKind.WON),
                func.count().filter(kind == StageKind.LOST),
            )
            .where(seen, closed_in)
            .group_by(Deal.source)
            .order_by(Deal.source)
        )
    ).all()
    return Analytics(
        created=created,
        won=won_count,
        lost=lost_count,
        average_won=None
        if won_sum is None
        else (Decimal(str(won_sum)) / 10_000).quantize(MONEY_QUANTUM),
        average_cycle_days=None if cycle is None else round(float(cycle), 2),
        open_pipeline=from_minor(int(open_sum)),
        weighted_pipeline=(from_minor(int(weighted)) / 100).quantize(MONEY_QUANTUM),
        stage_times=[
            StageTime(stage_id, count, round(float(seconds or 0) / 86400, 2))
            for stage_id, count, seconds in moves
        ],
        leaders=[Leader(owner, count, from_minor(int(total))) for owner, count, total in leaders],
        sources=[SourceRate(source, won_n, lost_n) for source, won_n, lost_n in sources],
    )
