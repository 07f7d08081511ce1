from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import public, requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.customers import services
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.models import CustomerKind as RowKind
from unicrm.core.graph.customers.types import (
    Customer,
    CustomerFilterInput,
    CustomerOrder,
    CustomerSortField,
)
from unicrm.core.graph.node import Node, parse_global_id, resolve_node, resolve_nodes
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def _filter(where: CustomerFilterInput | None) -> services.CustomerFilter:
    if where is None:
        return services.CustomerFilter()
    return services.CustomerFilter(
        kind=RowKind(where.kind.value) if where.kind else None,
        owner_id=parse_global_id(where.owner_id, "User")[1] if where.owner_id else None,
        parent_id=parse_global_id(where.parent_id, "Customer")[1] if where.parent_id else None,
    )


@strawberry.type
class CustomerQuery:
    @strawberry.field(metadata=public(), description="Fetch any object by its global id.")
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        metadata=public(), description="Fetch objects by global ids, in the order given."
    )
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await resolve_nodes(info, ids)

    @strawberry.field(
        metadata=requires("core.customer:read"),
        description="One customer by id; merged-away ids resolve to the survivor.",
    )
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        _, pk = parse_global_id(id, "Customer")
        return await Customer.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.customer:read"), description="Customers, keyset-paginated."
    )
    async def customers(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: CustomerFilterInput | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer]:
        order = order_by or CustomerOrder()
        column = (
            CustomerRow.display_name
            if order.field is CustomerSortField.NAME
            else CustomerRow.created_at
        )
        ctx = info.context
        stmt = where_visible(
            services.filtered(select(CustomerRow), _filter(filter)), services.visible_to(ctx)
        )

        async def work(session: AsyncSession) -> Page[CustomerRow]:
            return await paginate(
                session,
                stmt,
                keys=[column, CustomerRow.id],
                page=PageRequest(first, after, last, before),
                max_page_size=ctx.limits.max_page_size,
                descending=order.descending,
                key_of=lambda r: (getattr(r, column.key), r.id),
            )

        page = await run_query(info, work)
        return page.connection(Customer.from_row, count_of(ctx.db, stmt))


QUERY = CustomerQuery
