from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.audit import services
from unicrm.core.audit.models import AuditEntry as AuditEntryRow
from unicrm.core.audit.types import AuditEntry, AuditLogFilter
from unicrm.core.authz.declare import requires
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of
from unicrm.core.graph.queries import run_query


def _filter(where: AuditLogFilter | None) -> services.AuditFilter:
    if where is None:
        return services.AuditFilter()
    return services.AuditFilter(
        actor_id=where.actor_id,
        action=where.action,
        department=where.department,
        target_id=where.target_id,
        since=where.from_,
        until=where.to,
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        metadata=requires("core.audit:read"),
        description="The audit log, newest first, keyset-paginated.",
    )
    async def audit_log(
        self,
        info: strawberry.Info,
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[AuditEntry]:
        ctx = info.context
        where = _filter(filter)

        async def work(session: AsyncSession) -> Page[AuditEntryRow]:
            return await services.list_entries(
                session,
                where,
                PageRequest(first, after, last, before),
                max_page_size=ctx.limits.max_page_size,
            )

        page = await run_query(info, work)
        stmt = services.filtered(where, ctx.db.dialect)
        return page.connection(AuditEntry.from_row, count_of(ctx.db, stmt))


QUERY = AuditQuery
