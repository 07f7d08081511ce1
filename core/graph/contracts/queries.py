from __future__ import annotations

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.contracts import services
from unicrm.core.graph.contracts.models import Contract as ContractRow
from unicrm.core.graph.contracts.types import Contract, ContractFilterInput
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def _filter(where: ContractFilterInput | None) -> services.ContractFilter:
    if where is None:
        return services.ContractFilter()
    return services.ContractFilter(
        customer_id=parse_global_id(where.customer_id, "Customer")[1]
        if where.customer_id
        else None,
        kinds=tuple(where.kind) if where.kind else None,
        statuses=tuple(where.status) if where.status else None,
        renewal_due_before=where.renewal_due_before,
    )


@strawberry.type
class ContractQuery:
    @strawberry.field(metadata=requires("core.contract:read"), description="One contract by id.")
    async def contract(self, info: strawberry.Info, id: strawberry.ID) -> Contract | None:
        _, pk = parse_global_id(id, "Contract")
        return await Contract.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.contract:read"),
        description="Contracts, newest first; with renewalDueBefore, soonest renewal first.",
    )
    async def contracts(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ContractFilterInput | None = None,
    ) -> Connection[Contract]:
        ctx = info.context
        where = _filter(filter)
        stmt = services.scoped(
            services.filtered(select(ContractRow), where), services.visible_to(ctx)
        )
        by_renewal = where.renewal_due_before is not None
        due = func.coalesce(ContractRow.renewal_date, ContractRow.end_date)

        async def work(session: AsyncSession) -> Page[ContractRow]:
            return await paginate(
                session,
                stmt,
                keys=[due, ContractRow.id] if by_renewal else [ContractRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=not by_renewal,
                key_of=lambda r: (services.renews_on(r), r.id) if by_renewal else (r.id,),
            )

        page = await run_query(info, work)
        return page.connection(Contract.from_row, count_of(ctx.db, stmt))


QUERY = ContractQuery
