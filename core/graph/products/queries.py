from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.products import services
from unicrm.core.graph.products.models import Product as ProductRow
from unicrm.core.graph.products.types import Product, ProductFilterInput
from unicrm.core.graph.queries import run_query


def _filter(where: ProductFilterInput | None) -> services.ProductFilter:
    if where is None:
        return services.ProductFilter()
    return services.ProductFilter(category=where.category, active=where.active, search=where.search)


@strawberry.type
class ProductQuery:
    @strawberry.field(metadata=requires("core.product:read"), description="One product by id.")
    async def product(self, info: strawberry.Info, id: strawberry.ID) -> Product | None:
        _, pk = parse_global_id(id, "Product")
        return await Product.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.product:read"),
        description="Products in name order, keyset-paginated.",
    )
    async def products(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
    ) -> Connection[Product]:
        stmt = services.filtered(select(ProductRow), _filter(filter))
        ctx = info.context

        async def work(session: AsyncSession) -> Page[ProductRow]:
            return await paginate(
                session,
                stmt,
                keys=[ProductRow.name, ProductRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.name, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Product.from_row, count_of(ctx.db, stmt))


QUERY = ProductQuery
