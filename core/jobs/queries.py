from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.core.jobs import models, services
from unicrm.core.jobs.types import Job, JobFilterInput


def _filter(where: JobFilterInput | None) -> services.JobFilter:
    if where is None:
        return services.JobFilter()
    status = None if where.status is None else models.JobStatus(where.status)
    return services.JobFilter(status=status, type=where.type)


@strawberry.type
class JobQuery:
    @strawberry.field(metadata=requires("core.job:read"), description="One job by id.")
    async def job(self, info: strawberry.Info, id: strawberry.ID) -> Job | None:
        _, pk = parse_global_id(id, "Job")
        return await Job.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.job:read"),
        description="Jobs, newest first; filter by status to see the dead letters.",
    )
    async def jobs(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: JobFilterInput | None = None,
    ) -> Connection[Job]:
        ctx = info.context

        async def work(session: AsyncSession) -> Page[models.Job]:
            stmt = services.filtered(select(models.Job), _filter(filter))
            return await paginate(
                session,
                stmt,
                keys=[models.Job.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.id,),
            )

        page = await run_query(info, work)
        stmt = services.filtered(select(models.Job), _filter(filter))
        return page.connection(Job.from_row, count_of(ctx.db, stmt))


QUERY = JobQuery
