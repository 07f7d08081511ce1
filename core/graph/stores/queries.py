from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.core.graph.stores import services
from unicrm.core.graph.stores.models import Store as StoreRow
from unicrm.core.graph.stores.types import Store, StoreFilterInput


@strawberry.type
class StoreQuery:
    @strawberry.field(
        metadata=requires("core.store:read"), description="One store by id or by its code."
    )
    async def store(
        self, info: strawberry.Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> Store | None:
        if id is not None:
            return await Store.load_node(info, parse_global_id(id, "Store")[1])
        if code is None:
            return None
        return await load_one(info, "core.store_by_code", code.strip(), Store.from_row)

    @strawberry.field(
        metadata=requires("core.store:read"),
        description="Stores by code, filtered by region, province and active flag.",
    )
    async def stores(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: StoreFilterInput | None = None,
    ) -> Connection[Store]:
        ctx = info.context
        given = filter or StoreFilterInput()

        async def work(session: AsyncSession) -> tuple[Page[StoreRow], object]:
            f = services.StoreFilter(
                regions=[r.strip().lower() for r in given.regions],
                provinces=given.provinces,
                active=given.active,
            )
            stmt = services.filtered(select(StoreRow), f)
            page = await paginate(
                session,
                stmt,
                keys=[StoreRow.code, StoreRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.code, r.id),
            )
            return page, stmt

        page, stmt = await run_query(info, work)
        return page.connection(Store.from_row, count_of(ctx.db, stmt))


QUERY = StoreQuery
