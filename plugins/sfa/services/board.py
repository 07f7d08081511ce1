"""The pipeline board: a pipeline's live stages as columns, each with its deal count, its sums
and its first deals, in a fixed number of statements whatever the number of deals.

Columns list deals newest first (``created_at``, ``id``), the order of the ``deals``
connection, so a column's end cursor continues in ``deals(stageId:, after:, filter:)``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import MONEY_QUANTUM, utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.pagination import encode_cursor
from unicrm.core.graph.teams.models import TeamMember
from unicrm.plugins.sfa.models import Deal, Pipeline, Stage
from unicrm.plugins.sfa.services.pipelines import stages_of

MAX_STALE_DAYS = 3650


@dataclass(frozen=True, slots=True)
class DealFilter:
    """Board and list filters; every one given must hold. ``stale_days``: deals nobody has
    changed for at least that many days."""

    owner_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    close_from: date | None = None
    close_to: date | None = None
    stale_days: int | None = None

    def check(self) -> None:
        errors: list[FieldError] = []
        for name in ("amount_min", "amount_max"):
            value = getattr(self, name)
            if value is not None and (not value.is_finite() or value < 0):
                errors.append(FieldError("INVALID", "an amount is not negative", name))
        if (
            self.amount_min is not None
            and self.amount_max is not None
            and self.amount_min > self.amount_max
        ):
            errors.append(FieldError("INVALID", "amountMin is above amountMax", "amount_min"))
        if self.close_from and self.close_to and self.close_from > self.close_to:
            errors.append(FieldError("INVALID", "closeFrom is after closeTo", "close_from"))
        if self.stale_days is not None and not 0 <= self.stale_days <= MAX_STALE_DAYS:
            errors.append(
                FieldError("INVALID", f"staleDays is 0 to {MAX_STALE_DAYS}", "stale_days")
            )
        if errors:
            raise DomainError(*errors)


def filtered(stmt: Select[Any], f: DealFilter) -> Select[Any]:
    f.check()
    if f.owner_id is not None:
        stmt = stmt.where(Deal.owner_id == f.owner_id)
    if f.team_id is not None:
        members = select(TeamMember.user_id).where(TeamMember.team_id == f.team_id)
        stmt = stmt.where(or_(Deal.team_id == f.team_id, Deal.owner_id.in_(members)))
    if f.amount_min is not None:
        stmt = stmt.where(Deal.amount >= f.amount_min)
    if f.amount_max is not None:
        stmt = stmt.where(Deal.amount <= f.amount_max)
    if f.close_from is not None:
        stmt = stmt.where(Deal.expected_close_date >= f.close_from)
    if f.close_to is not None:
        stmt = stmt.where(Deal.expected_close_date <= f.close_to)
    if f.stale_days is not None:
        stmt = stmt.where(Deal.updated_at <= utcnow() - timedelta(days=f.stale_days))
    return stmt


@dataclass
class Column:
    stage: Stage
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    deals: list[Deal] = field(default_factory=list)
    has_next_page: bool = False

    def weighted(self) -> dict[str, Decimal]:
        """Each currency's sum times the stage's win probability."""
        share = Decimal(self.stage.probability) / 100
        return {c: (a * share).quantize(MONEY_QUANTUM) for c, a in self.totals.items()}

    def cursors(self) -> list[str]:
        return [encode_cursor([d.created_at, d.id]) for d in self.deals]


async def _pipeline(session: AsyncSession, pipeline_id: uuid.UUID | None) -> Pipeline:
    stmt = select(Pipeline)
    stmt = stmt.where(Pipeline.is_default if pipeline_id is None else Pipeline.id == pipeline_id)
    pipeline = await session.scalar(stmt)
    if pipeline is None:
        raise DomainError.single("NOT_FOUND", "no such pipeline", "pipeline_id")
    return pipeline


async def board(
    session: AsyncSession,
    pipeline_id: uuid.UUID | None,
    f: DealFilter,
    per_column: int,
    scope: ColumnElement[bool] | None,
) -> tuple[Pipeline, list[Column]]:
    """The pipeline (the default one when None) and its live stages' columns: four
    statements (pipeline, stages, counts and sums, the first ``per_column`` deals of every
    column at once by ROW_NUMBER)."""
    pipeline = await _pipeline(session, pipeline_id)
    columns = {
        s.id: Column(s) for s in await stages_of(session, pipeline.id) if s.archived_at is None
    }
    base = filtered(select(Deal.id).where(Deal.pipeline_id == pipeline.id), f)
    if scope is not None:
        base = base.where(scope)
    sums = base.with_only_columns(
        Deal.stage_id, Deal.currency, func.count(), func.sum(Deal.amount)
    ).group_by(Deal.stage_id, Deal.currency)
    for stage_id, currency, count, total in (await session.execute(sums)).all():
        column = columns.get(stage_id)
        if column is not None:
            column.count += count
            column.totals[currency] = total
    rank = (
        func.row_number()
        .over(partition_by=Deal.stage_id, order_by=(Deal.created_at.desc(), Deal.id.desc()))
        .label("rank")
    )
    ranked = base.add_columns(rank).subquery()
    stmt = (
        select(Deal)
        .join(ranked, ranked.c.id == Deal.id)
        .where(ranked.c.rank <= per_column + 1)
        .order_by(Deal.stage_id, ranked.c.rank)
    )
    found: dict[uuid.UUID, list[Deal]] = defaultdict(list)
    for deal in await session.scalars(stmt):
        found[deal.stage_id].append(deal)
    for stage_id, column in columns.items():
        rows = found.get(stage_id, [])
        column.deals, column.has_next_page = rows[:per_column], len(rows) > per_column
    return pipeline, list(columns.values())
