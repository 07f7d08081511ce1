from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.invoices import services
from unicrm.core.graph.invoices.models import DocumentKind as RowKind
from unicrm.core.graph.invoices.models import Invoice as InvoiceRow
from unicrm.core.graph.invoices.types import Invoice, InvoiceFilterInput
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def _filter(given: InvoiceFilterInput | None) -> services.InvoiceFilter:
    if given is None:
        return services.InvoiceFilter()

    def pk(value: str | None, type_name: str, field: str) -> object:
        return None if value is None else decode_id(value, type_name, f"filter.{field}")

    return services.InvoiceFilter(
        kinds=[RowKind(k.value) for k in given.kinds],
        store_id=pk(given.store_id, "Store", "store_id"),
        customer_id=pk(given.customer_id, "Customer", "customer_id"),
        order_id=pk(given.order_id, "Order", "order_id"),
        issued_from=given.issued_from,
        issued_before=given.issued_before,
    )


@strawberry.type
class InvoiceQuery:
    @strawberry.field(metadata=requires("core.invoice:read"), description="One document by id.")
    async def invoice(self, info: strawberry.Info, id: strawberry.ID) -> Invoice | None:
        return await Invoice.load_node(info, parse_global_id(id, "Invoice")[1])

    @strawberry.field(
        metadata=requires("core.invoice:read"),
        description="Invoices, receipts and credit notes the caller may see, newest first.",
    )
    async def invoices(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: InvoiceFilterInput | None = None,
    ) -> Connection[Invoice]:
        ctx = info.context
        scope = services.visible_invoices(ctx)

        async def work(session: AsyncSession) -> tuple[Page[InvoiceRow], object]:
            stmt = where_visible(services.filtered(select(InvoiceRow), _filter(filter)), scope)
            page = await paginate(
                session,
                stmt,
                keys=[InvoiceRow.issued_at, InvoiceRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.issued_at, r.id),
            )
            return page, stmt

        page, stmt = await run_query(info, work)
        return page.connection(Invoice.from_row, count_of(ctx.db, stmt))


QUERY = InvoiceQuery
