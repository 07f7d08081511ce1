from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.plugins.sfa import models
from unicrm.plugins.sfa.graphql.types import Deal, DealStage
from unicrm.plugins.sfa.services.deals import deals_stmt, visible_to


@strawberry.type
class SfaQuery:
    @strawberry.field(
        metadata=requires("sfa.deal:read"), description="Deals, newest first, keyset-paginated."
    )
    async def deals(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        stage: DealStage | None = None,
    ) -> Connection[Deal]:
        ctx = info.context
        stmt = where_visible(
            deals_stmt(models.DealStage(stage.value) if stage else None), visible_to(ctx)
        )

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
