from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.plugins.loyalty import models
from unicrm.plugins.loyalty.graphql.types import (
    LoyaltyAnalytics,
    LoyaltyMember,
    LoyaltyProgram,
    LoyaltyReconciliation,
)
from unicrm.plugins.loyalty.services.analytics import analytics
from unicrm.plugins.loyalty.services.members import find_member, visible_members


@strawberry.type
class LoyaltyQuery:
    @strawberry.field(
        metadata=requires("loyalty.member:read"),
        description="The member holding a card number (spaces and dashes ignored), a phone "
        "number or a QR value; store staff find the members of their stores.",
    )
    async def loyalty_member(
        self,
        info: strawberry.Info,
        card_number: str | None = None,
        phone: str | None = None,
        qr_value: str | None = None,
    ) -> LoyaltyMember | None:
        where = visible_members(info.context)

        async def work(session: AsyncSession) -> LoyaltyMember | None:
            row = await find_member(
                session, card_number=card_number, phone=phone, qr_value=qr_value, where=where
            )
            return None if row is None else LoyaltyMember.from_row(row)

        return await run_query(info, work)

    @strawberry.field(
        metadata=requires("loyalty.member:read"),
        description="Members of a programme, most recently enrolled first, keyset-paginated.",
    )
    async def loyalty_members(
        self,
        info: strawberry.Info,
        program_code: str,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LoyaltyMember]:
        ctx = info.context
        stmt = where_visible(
            select(models.Member)
            .join(models.Program, models.Program.id == models.Member.program_id)
            .where(models.Program.code == program_code),
            visible_members(ctx),
        )

        async def work(session: AsyncSession) -> Page[models.Member]:
            return await paginate(
                session,
                stmt,
                keys=[models.Member.enrolled_at, models.Member.id],
                page=PageRequest(first, after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.enrolled_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(LoyaltyMember.from_row, count_of(ctx.db, stmt))

    @strawberry.field(
        metadata=requires("loyalty.program:read"), description="The loyalty programmes."
    )
    async def loyalty_programs(self, info: strawberry.Info) -> list[LoyaltyProgram]:
        async def work(session: AsyncSession) -> list[LoyaltyProgram]:
            rows = await session.scalars(select(models.Program).order_by(models.Program.code))
            return [LoyaltyProgram.from_row(r) for r in rows]

        return await run_query(info, work)

    @strawberry.field(
        metadata=requires("loyalty.points:read"),
        description="A programme's figures over a period [since, until).",
    )
    async def loyalty_analytics(
        self, info: strawberry.Info, program_code: str, since: datetime, until: datetime
    ) -> LoyaltyAnalytics:
        async def work(session: AsyncSession) -> LoyaltyAnalytics:
            return LoyaltyAnalytics.of(await analytics(session, program_code, since, until))

        return await run_query(info, work)

    @strawberry.field(
        metadata=requires("loyalty.points:read"),
        description="The latest runs of the reconciliation check, newest first.",
    )
    async def loyalty_reconciliations(
        self, info: strawberry.Info, first: int = 10
    ) -> list[LoyaltyReconciliation]:
        async def work(session: AsyncSession) -> list[LoyaltyReconciliation]:
            rows = await session.scalars(
                select(models.Reconciliation)
                .order_by(models.Reconciliation.run_at.desc())
                .limit(max(0, min(first, 100)))
            )
            return [LoyaltyReconciliation.from_row(r) for r in rows]

        return await run_query(info, work)
