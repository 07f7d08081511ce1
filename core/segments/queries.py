from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.errors import DomainError
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.services import visible_to
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.mutations import payload_errors
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.core.segments import services
from unicrm.core.segments.compile import (
    attribute_filters,
    count_statement,
    customers_statement,
    resolve,
)
from unicrm.core.segments.models import Segment as SegmentRow
from unicrm.core.segments.requests import allowed_for, catalog_for
from unicrm.core.segments.types import (
    Segment,
    SegmentError,
    SegmentErrorCode,
    SegmentField,
    SegmentFilterInput,
    SegmentPreview,
    to_definition,
)

MAX_SAMPLE = 50


@strawberry.type
class SegmentQuery:
    @strawberry.field(metadata=requires("core.segment:read"), description="One segment by id.")
    async def segment(self, info: strawberry.Info, id: strawberry.ID) -> Segment | None:
        _, pk = parse_global_id(id, "Segment")
        return await Segment.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.segment:read"),
        description="Saved segments you may see, by name; `search` keeps names containing it.",
    )
    async def segments(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Segment]:
        ctx = info.context
        stmt = where_visible(select(SegmentRow), services.visible_segments(ctx))
        if search and search.strip():
            stmt = stmt.where(SegmentRow.name.icontains(search.strip(), autoescape=True))

        async def work(session: AsyncSession) -> Page[SegmentRow]:
            return await paginate(
                session,
                stmt,
                keys=[SegmentRow.name, SegmentRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.name, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Segment.from_row, count_of(ctx.db, stmt))

    @strawberry.field(
        metadata=requires("core.segment:read"),
        description="The fields segment conditions can test here, with their value type and "
        "operators: core's, custom attributes' and those of the department's plugins.",
    )
    async def segment_fields(self, info: strawberry.Info) -> list[SegmentField]:
        catalog = catalog_for(info.context)
        allowed = allowed_for(info.context)
        async with info.context.db.session() as session:
            attributes = await attribute_filters(session)
        found = [*catalog.filters.values(), *attributes.values()]
        return [SegmentField.of(f) for f in sorted(found, key=lambda f: f.name) if allowed(f)]

    @strawberry.field(
        metadata=requires("core.segment:read"),
        description="How many customers you may see a definition selects, and the first "
        "`sample` of them by name. A bad definition answers with errors at their paths.",
    )
    async def segment_preview(
        self, info: strawberry.Info, definition: SegmentFilterInput, sample: int = 10
    ) -> SegmentPreview:
        ctx = info.context
        if not 0 <= sample <= MAX_SAMPLE:
            error = DomainError.single(
                "INVALID", f"sample must be between 0 and {MAX_SAMPLE}", "sample"
            )
            return SegmentPreview(errors=payload_errors(error, SegmentError, SegmentErrorCode))
        async with ctx.db.session() as session:
            try:
                tree = await resolve(
                    session, to_definition(definition), catalog_for(ctx), allowed=allowed_for(ctx)
                )
            except DomainError as error:
                return SegmentPreview(errors=payload_errors(error, SegmentError, SegmentErrorCode))
            scope = visible_to(ctx)
            count = int(await session.scalar(count_statement(tree, scope)) or 0)
            rows = []
            if sample:
                rows = list(
                    await session.scalars(
                        customers_statement(tree, scope)
                        .order_by(CustomerRow.display_name, CustomerRow.id)
                        .limit(sample)
                    )
                )
        return SegmentPreview(errors=[], count=count, sample=[Customer.from_row(r) for r in rows])


QUERY = SegmentQuery
