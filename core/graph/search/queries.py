from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.errors import BadRequest
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.services import visible_to
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.core.graph.search.documents import MIN_QUERY_LENGTH, query_terms
from unicrm.core.graph.search.services import matching_customers


@strawberry.type
class SearchQuery:
    @strawberry.field(
        metadata=requires("core.customer:read"),
        description="Customers whose name, email, phone or external id contains the query "
        f"(at least {MIN_QUERY_LENGTH} characters; phones match with or without the leading "
        "0 or +66), ordered by name.",
    )
    async def customer_search(
        self,
        info: strawberry.Info,
        query: str,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Customer]:
        terms = query_terms(query)
        if not terms:
            raise BadRequest(f"a search needs at least {MIN_QUERY_LENGTH} characters")
        ctx = info.context
        stmt = where_visible(matching_customers(ctx.db.dialect, terms), visible_to(ctx))

        async def work(session: AsyncSession) -> Page[CustomerRow]:
            return await paginate(
                session,
                stmt,
                keys=[CustomerRow.display_name, CustomerRow.id],
                page=PageRequest(first, after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.display_name, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Customer.from_row, count_of(ctx.db, stmt))


QUERY = SearchQuery
