"""SFA's root fields: pipelines and deals."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.plugins.sfa import models
from unicrm.plugins.sfa.graphql.types import Deal, Pipeline
from unicrm.plugins.sfa.services.deals import deals_stmt, visible_to


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
        metadata=requires("sfa.deal:read"), description="Deals, newest first, keyset-paginated."
    )
    async def deals(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        pipeline_id: strawberry.ID | None = None,
        stage_id: strawberry.ID | None = None,
    ) -> Connection[Deal]:
        ctx = info.context
        pipeline = None if pipeline_id is None else parse_global_id(pipeline_id, "Pipeline")[1]
        stage = None if stage_id is None else parse_global_id(stage_id, "PipelineStage")[1]
        stmt = where_visible(deals_stmt(pipeline, stage), visible_to(ctx))

        async def work(session: AsyncSession) -> Page[models.Deal]:
            return await paginate(
                session,
                stmt,
                keys=[models.Deal.created_at, models.Deal.id],
                page=PageRequest(first, after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.created_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Deal.from_row, count_of(ctx.db, stmt))
