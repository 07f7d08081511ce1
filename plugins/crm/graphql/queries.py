from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.plugins.crm import models
from unicrm.plugins.crm.graphql.calendar import calendar_view
from unicrm.plugins.crm.graphql.macros import MacroQuery
from unicrm.plugins.crm.graphql.types import (
    BusinessCalendar,
    Case,
    CasePriority,
    CaseStatus,
    SlaPolicy,
    TeamSlaBreaches,
)
from unicrm.plugins.crm.graphql.voc import NpsQuery, ReminderQuery, SuggestionQuery, VocQuery
from unicrm.plugins.crm.services import cases as services
from unicrm.plugins.crm.services import sla


@strawberry.input(description="Narrow a case listing; every condition given must hold.")
class CaseFilterInput:
    priority: CasePriority | None = None
    team_id: strawberry.ID | None = strawberry.field(default=None, description="A queue.")
    assignee_id: strawberry.ID | None = None
    category: str | None = None
    open_only: bool = strawberry.field(
        default=False, description="Only cases neither resolved nor closed."
    )


def _filter(status: CaseStatus | None, where: CaseFilterInput | None) -> services.CaseFilter:
    row_status = models.CaseStatus(status.value) if status else None
    if where is None:
        return services.CaseFilter(status=row_status)
    return services.CaseFilter(
        status=row_status,
        priority=models.CasePriority(where.priority.value) if where.priority else None,
        team_id=parse_global_id(where.team_id, "Team")[1] if where.team_id else None,
        assignee_id=parse_global_id(where.assignee_id, "User")[1] if where.assignee_id else None,
        category=(where.category or "").strip().lower() or None,
        open_only=where.open_only,
    )


@strawberry.type
class CrmQuery(MacroQuery, VocQuery, NpsQuery, SuggestionQuery, ReminderQuery):
    @strawberry.field(metadata=requires("crm.case:read"), description="One case by id.")
    async def case(self, info: strawberry.Info, id: strawberry.ID) -> Case | None:
        _, pk = parse_global_id(id, "Case")
        return await Case.load_node(info, pk)

    @strawberry.field(
        metadata=requires("crm.case:read"),
        description="Cases the caller may see (their queues' for a support agent), most "
        "recently opened first, keyset-paginated.",
    )
    async def cases(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        status: CaseStatus | None = None,
        filter: CaseFilterInput | None = None,
    ) -> Connection[Case]:
        ctx = info.context
        stmt = where_visible(services.cases_stmt(_filter(status, filter)), services.visible_to(ctx))

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

    @strawberry.field(
        metadata=requires("crm.sla:read"),
        description="Every SLA policy, the most specific first.",
    )
    async def sla_policies(self, info: strawberry.Info) -> list[SlaPolicy]:
        async def work(session: AsyncSession) -> list[models.SlaPolicy]:
            rows = await session.scalars(select(models.SlaPolicy).order_by(models.SlaPolicy.name))
            return sorted(rows, key=lambda p: (p.priority is None, p.category is None, p.name))

        return [SlaPolicy.from_row(p) for p in await run_query(info, work)]

    @strawberry.field(
        metadata=requires("crm.sla:read"),
        description="The working hours and holidays SLA targets count in.",
    )
    async def business_calendar(self, info: strawberry.Info) -> BusinessCalendar:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> BusinessCalendar:
            return await calendar_view(session, zone)

        return await run_query(info, work)

    @strawberry.field(
        metadata=requires("crm.sla:read"),
        description="SLA breaches per queue announced in [since, until), most first.",
    )
    async def sla_breaches_by_team(
        self, info: strawberry.Info, since: datetime, until: datetime
    ) -> list[TeamSlaBreaches]:
        async def work(session: AsyncSession) -> list[sla.TeamBreaches]:
            return await sla.breaches_by_team(session, since, until)

        rows = await run_query(info, work)
        return [
            TeamSlaBreaches(
                team_pk=r.team_id, first_response=r.first_response, resolution=r.resolution
            )
            for r in rows
        ]
