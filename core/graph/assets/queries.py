from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.assets import services
from unicrm.core.graph.assets.models import Asset as AssetRow
from unicrm.core.graph.assets.types import Asset, AssetFilterInput
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def _filter(where: AssetFilterInput | None) -> services.AssetFilter:
    if where is None:
        return services.AssetFilter()
    return services.AssetFilter(
        customer_id=parse_global_id(where.customer_id, "Customer")[1]
        if where.customer_id
        else None,
        product_id=parse_global_id(where.product_id, "Product")[1] if where.product_id else None,
        statuses=tuple(where.status) if where.status else None,
        serial_number=where.serial_number,
        warranty_ending_before=where.warranty_ending_before,
    )


@strawberry.type
class AssetQuery:
    @strawberry.field(metadata=requires("core.asset:read"), description="One asset by id.")
    async def asset(self, info: strawberry.Info, id: strawberry.ID) -> Asset | None:
        _, pk = parse_global_id(id, "Asset")
        return await Asset.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.asset:read"),
        description="Assets, newest first; with warrantyEndingBefore, soonest warranty end first.",
    )
    async def assets(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: AssetFilterInput | None = None,
    ) -> Connection[Asset]:
        ctx = info.context
        where = _filter(filter)
        stmt = services.scoped(services.filtered(select(AssetRow), where), services.visible_to(ctx))
        by_warranty = where.warranty_ending_before is not None

        async def work(session: AsyncSession) -> Page[AssetRow]:
            return await paginate(
                session,
                stmt,
                keys=[AssetRow.warranty_end, AssetRow.id] if by_warranty else [AssetRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=not by_warranty,
                key_of=lambda r: (r.warranty_end, r.id) if by_warranty else (r.id,),
            )

        page = await run_query(info, work)
        return page.connection(Asset.from_row, count_of(ctx.db, stmt))


QUERY = AssetQuery
