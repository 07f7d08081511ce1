from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.plugins.crm import models
from unicrm.plugins.crm.graphql.types import Case, CaseStatus
from unicrm.plugins.crm.services.cases import cases_stmt


@strawberry.type
class CrmQuery:
    @strawberry.field(
        metadata=requires("crm.case:read"),
        description="Cases, most recently opened first, keyset-paginated.",
    )
    async def cases(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        status: CaseStatus | None = None,
    ) -> Connection[Case]:
        stmt = cases_stmt(models.CaseStatus(status.value) if status else None)
        ctx = info.context

        async def work(session: AsyncSession) -> Page[models.Case]:
            return await paginate(
                session,
                stmt,
                keys=[models.Case.opened_at, models.Case.id],
                page=PageRequest(first, after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.opened_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Case.from_row, count_of(ctx.db, stmt))
