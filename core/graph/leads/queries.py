from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.leads import models, services
from unicrm.core.graph.leads.types import Lead, LeadFilterInput
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def _filter(where: LeadFilterInput | None) -> services.LeadFilter:
    if where is None:
        return services.LeadFilter()
    return services.LeadFilter(
        status=models.LeadStatus(where.status.value) if where.status else None,
        temperature=models.LeadTemperature(where.temperature.value) if where.temperature else None,
        source=models.LeadSource(where.source.value) if where.source else None,
        owner_id=parse_global_id(where.owner_id, "User")[1] if where.owner_id else None,
        team_id=parse_global_id(where.team_id, "Team")[1] if where.team_id else None,
    )


@strawberry.type
class LeadQuery:
    @strawberry.field(metadata=requires("core.lead:read"), description="One lead by id.")
    async def lead(self, info: strawberry.Info, id: strawberry.ID) -> Lead | None:
        _, pk = parse_global_id(id, "Lead")
        return await Lead.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.lead:read"),
        description="Leads the caller may see, newest first, keyset-paginated.",
    )
    async def leads(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: LeadFilterInput | None = None,
    ) -> Connection[Lead]:
        ctx = info.context
        stmt = where_visible(
            services.filtered(select(models.Lead), _filter(filter)), services.visible_to(ctx)
        )

        async def work(session: AsyncSession) -> Page[models.Lead]:
            return await paginate(
                session,
                stmt,
                keys=[models.Lead.created_at, models.Lead.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.created_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Lead.from_row, count_of(ctx.db, stmt))


QUERY = LeadQuery
