from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.events import deliveries
from unicrm.core.events.ingest_models import CustomEventType as CustomEventTypeRow
from unicrm.core.events.models import EventDelivery as EventDeliveryRow
from unicrm.core.graph.events.types import (
    CustomEventType,
    CustomEventTypeFilterInput,
    EventDelivery,
    EventDeliveryFilterInput,
    status_filter,
)
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def _filter(where: EventDeliveryFilterInput | None) -> deliveries.DeliveryFilter:
    if where is None:
        return deliveries.DeliveryFilter()
    return deliveries.DeliveryFilter(
        status=status_filter(where.status), handler=where.handler, event_type=where.event_type
    )


@strawberry.type
class EventQuery:
    @strawberry.field(
        metadata=requires("core.event:read"),
        description="Deliveries of events to handlers, newest first; filter by status to see "
        "dead letters.",
    )
    async def event_deliveries(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: EventDeliveryFilterInput | None = None,
    ) -> Connection[EventDelivery]:
        stmt = deliveries.filtered(_filter(filter))
        ctx = info.context

        async def work(session: AsyncSession) -> Page[EventDeliveryRow]:
            return await paginate(
                session,
                stmt,
                keys=[EventDeliveryRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.id,),
            )

        page = await run_query(info, work)
        return page.connection(EventDelivery.from_row, count_of(ctx.db, stmt))

    @strawberry.field(
        metadata=requires("core.event:read"),
        description="Custom event types integrators may push to POST /events, oldest first.",
    )
    async def custom_event_types(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: CustomEventTypeFilterInput | None = None,
    ) -> Connection[CustomEventType]:
        stmt = select(CustomEventTypeRow)
        if filter is not None and filter.active is not None:
            stmt = stmt.where(CustomEventTypeRow.active == filter.active)
        ctx = info.context

        async def work(session: AsyncSession) -> Page[CustomEventTypeRow]:
            return await paginate(
                session,
                stmt,
                keys=[CustomEventTypeRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.id,),
            )

        page = await run_query(info, work)
        return page.connection(CustomEventType.from_row, count_of(ctx.db, stmt))


QUERY = EventQuery
