"""SFA's root fields: pipelines, the deals list and the pipeline board."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.core.graph.scalars import BigInt, Money
from unicrm.plugins.sfa import models
from unicrm.plugins.sfa.graphql.types import (
    AssignmentRule,
    Deal,
    DealBoard,
    DealBoardColumn,
    DealFilterInput,
    DealSource,
    LeaderboardEntry,
    Pipeline,
    PipelineStage,
    SalesAnalytics,
    SourceWinRate,
    StageTime,
)
from unicrm.plugins.sfa.services import analytics, board
from unicrm.plugins.sfa.services.deals import deals_stmt, visible_to


def _pk(global_id: str | None, type_name: str) -> Any:
    return None if global_id is None else parse_global_id(global_id, type_name)[1]


def _filter(value: DealFilterInput | None) -> board.DealFilter:
    if value is None:
        return board.DealFilter()
    return board.DealFilter(
        owner_id=_pk(value.owner_id, "User"),
        team_id=_pk(value.team_id, "Team"),
        amount_min=value.amount_min,
        amount_max=value.amount_max,
        close_from=value.close_from,
        close_to=value.close_to,
        stale_days=value.stale_days,
    )


def _money(sums: dict[str, Any]) -> list[Money]:
    return [Money(amount=amount, currency=currency) for currency, amount in sorted(sums.items())]


def _column(column: board.Column) -> DealBoardColumn:
    async def count() -> int:
        return column.count

    page = Page(column.deals, column.cursors(), column.has_next_page, False)
    return DealBoardColumn(
        stage=PipelineStage.from_row(column.stage),
        count=BigInt(column.count),
        totals=_money(column.totals),
        weighted_totals=_money(column.weighted()),
        deals=page.connection(Deal.from_row, count),
    )


@strawberry.type
class SfaQuery:
    @strawberry.field(
        metadata=requires("sfa.pipeline:read"),
        description="The organization's pipelines, the default first, then by name.",
    )
    async def pipelines(self, info: strawberry.Info) -> list[Pipeline]:
        async def work(session: AsyncSession) -> list[models.Pipeline]:
            stmt = select(models.Pipeline).order_by(
                models.Pipeline.is_default.desc(), models.Pipeline.name
            )
            return list((await session.scalars(stmt)).all())

        return [Pipeline.from_row(r) for r in await run_query(info, work)]

    @strawberry.field(
        metadata=requires("sfa.assignment_rule:read"),
        description="The assignment rules in the order they are tried.",
    )
    async def assignment_rules(self, info: strawberry.Info) -> list[AssignmentRule]:
        async def work(session: AsyncSession) -> list[models.AssignmentRule]:
            stmt = select(models.AssignmentRule).order_by(
                models.AssignmentRule.position, models.AssignmentRule.id
            )
            return list((await session.scalars(stmt)).all())

        return [AssignmentRule.from_row(r) for r in await run_query(info, work)]

    @strawberry.field(
        metadata=requires("sfa.deal:read"), description="Deals, newest first, keyset-paginated."
    )
    async def deals(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        pipeline_id: strawberry.ID | None = None,
        stage_id: strawberry.ID | None = None,
        filter: DealFilterInput | None = None,
    ) -> Connection[Deal]:
        ctx = info.context
        stmt = where_visible(
            deals_stmt(_pk(pipeline_id, "Pipeline"), _pk(stage_id, "PipelineStage")),
            visible_to(ctx),
        )
        conditions = _filter(filter)

        async def work(session: AsyncSession) -> Page[models.Deal]:
            return await paginate(
                session,
                board.filtered(stmt, conditions),
                keys=[models.Deal.created_at, models.Deal.id],
                page=PageRequest(first, after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.created_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Deal.from_row, count_of(ctx.db, board.filtered(stmt, conditions)))

    @strawberry.field(
        metadata=requires("sfa.deal:read"),
        description="A pipeline (the default one without pipelineId) as a board: each live "
        "stage with its deal count, sums and first deals. Statements per request are fixed.",
    )
    async def deal_board(
        self,
        info: strawberry.Info,
        pipeline_id: strawberry.ID | None = None,
        filter: DealFilterInput | None = None,
        first: int = 20,
    ) -> DealBoard:
        ctx = info.context
        conditions = _filter(filter)

        async def work(session: AsyncSession) -> tuple[models.Pipeline, list[board.Column]]:
            per_column = PageRequest(first).size(ctx.limits.max_page_size)
            return await board.board(
                session, _pk(pipeline_id, "Pipeline"), conditions, per_column, visible_to(ctx)
            )

        pipeline, columns = await run_query(info, work)
        return DealBoard(
            pipeline=Pipeline.from_row(pipeline), columns=[_column(c) for c in columns]
        )

    @strawberry.field(
        metadata=requires("sfa.deal:read"),
        description="Win rate, average deal, sales cycle, pipeline, time in stage and the "
        "leaderboard of a period (from and to included), over the deals you may see: your own "
        "as a rep, the organization's as a manager. Money in the installation's currency.",
    )
    async def sales_analytics(
        self,
        info: strawberry.Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> SalesAnalytics:
        ctx = info.context
        currency = ctx.state.settings.currency

        async def work(session: AsyncSession) -> analytics.Analytics:
            return await analytics.analytics(session, from_, to, currency, visible_to(ctx))

        result = await run_query(info, work)

        def money(amount: Any) -> Money:
            return Money(amount=amount, currency=currency)

        return SalesAnalytics(
            deals_created=result.created,
            deals_won=result.won,
            deals_lost=result.lost,
            win_rate=result.win_rate,
            average_won_amount=None if result.average_won is None else money(result.average_won),
            average_cycle_days=result.average_cycle_days,
            open_pipeline=money(result.open_pipeline),
            weighted_pipeline=money(result.weighted_pipeline),
            stage_times=[
                StageTime(stage_pk=t.stage_id, moves=t.moves, average_days=t.average_days)
                for t in result.stage_times
            ],
            win_rate_by_source=[
                SourceWinRate(
                    source=DealSource(r.source.value), won=r.won, lost=r.lost, win_rate=r.win_rate
                )
                for r in result.sources
            ],
            leaderboard=[
                LeaderboardEntry(owner_pk=e.owner_id, won=e.won, amount=money(e.amount))
                for e in result.leaders
            ],
        )
