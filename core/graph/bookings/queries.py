from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.errors import BadRequest
from unicrm.core.graph.bookings import services
from unicrm.core.graph.bookings.models import Booking as BookingRow
from unicrm.core.graph.bookings.models import BookingResource as ResourceRow
from unicrm.core.graph.bookings.types import (
    Booking,
    BookingFilterInput,
    BookingResource,
    ResourceAvailability,
    ResourceKind,
    SlotAvailability,
)
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def _filter(given: BookingFilterInput | None) -> services.BookingFilter:
    if given is None:
        return services.BookingFilter()

    def pk(value: str | None, type_name: str, field: str) -> object:
        return None if value is None else decode_id(value, type_name, f"filter.{field}")

    return services.BookingFilter(
        store_id=pk(given.store_id, "Store", "store_id"),
        resource_id=pk(given.resource_id, "BookingResource", "resource_id"),
        customer_id=pk(given.customer_id, "Customer", "customer_id"),
        statuses=list(given.statuses),
        starts_from=given.starts_from,
        starts_before=given.starts_before,
    )


@strawberry.type
class BookingQuery:
    @strawberry.field(metadata=requires("core.booking:read"), description="One booking by id.")
    async def booking(self, info: strawberry.Info, id: strawberry.ID) -> Booking | None:
        return await Booking.load_node(info, parse_global_id(id, "Booking")[1])

    @strawberry.field(
        metadata=requires("core.booking:read"),
        description="Bookings by start time, at the stores the caller may see.",
    )
    async def bookings(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: BookingFilterInput | None = None,
    ) -> Connection[Booking]:
        ctx = info.context
        scope = services.visible_bookings(ctx)

        async def work(session: AsyncSession) -> tuple[Page[BookingRow], object]:
            stmt = where_visible(services.filtered(select(BookingRow), _filter(filter)), scope)
            page = await paginate(
                session,
                stmt,
                keys=[BookingRow.starts_at, BookingRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.starts_at, r.id),
            )
            return page, stmt

        page, stmt = await run_query(info, work)
        return page.connection(Booking.from_row, count_of(ctx.db, stmt))

    @strawberry.field(
        metadata=requires("core.booking:read"),
        description="The resources of a store, by name.",
    )
    async def booking_resources(
        self,
        info: strawberry.Info,
        store_id: strawberry.ID,
        kind: ResourceKind | None = None,
    ) -> list[BookingResource]:
        store = parse_global_id(store_id, "Store")[1]
        stmt = select(ResourceRow).where(ResourceRow.store_id == store)
        if kind is not None:
            stmt = stmt.where(ResourceRow.kind == kind)
        stores = services.allowed_stores(info.context)
        if stores is not None:
            stmt = stmt.where(ResourceRow.store_id.in_(stores))

        async def work(session: AsyncSession) -> list[ResourceRow]:
            return list(await session.scalars(stmt.order_by(ResourceRow.name, ResourceRow.id)))

        return [BookingResource.from_row(r) for r in await run_query(info, work)]

    @strawberry.field(
        metadata=requires("core.booking:read"),
        description="Free capacity per slot over [from, to) (at most 31 days) for one resource, "
        "or for every active resource of a kind at a store.",
    )
    async def booking_availability(
        self,
        info: strawberry.Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        resource_id: strawberry.ID | None = None,
        store_id: strawberry.ID | None = None,
        kind: ResourceKind | None = None,
    ) -> list[ResourceAvailability]:
        stmt = services.resources_with_stores()
        if resource_id is not None:
            stmt = stmt.where(ResourceRow.id == parse_global_id(resource_id, "BookingResource")[1])
        elif store_id is not None:
            stmt = stmt.where(
                ResourceRow.store_id == parse_global_id(store_id, "Store")[1],
                ResourceRow.active.is_(True),
            )
            if kind is not None:
                stmt = stmt.where(ResourceRow.kind == kind)
        else:
            raise BadRequest("give a resourceId, or a storeId (and a kind)")
        stores = services.allowed_stores(info.context)
        if stores is not None:
            stmt = stmt.where(ResourceRow.store_id.in_(stores))

        async def work(session: AsyncSession) -> list:
            return await services.availability(session, stmt, from_, to)

        return [
            ResourceAvailability(
                resource=BookingResource.from_row(resource),
                slots=[
                    SlotAvailability(
                        starts_at=s.starts_at, ends_at=s.ends_at, capacity=s.capacity, free=s.free
                    )
                    for s in slots
                ],
            )
            for resource, slots in await run_query(info, work)
        ]


QUERY = BookingQuery
