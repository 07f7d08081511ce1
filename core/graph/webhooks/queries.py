from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.events.types import status_filter
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.core.graph.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryFilterInput,
    WebhookEndpoint,
)
from unicrm.core.webhooks import models, services


def _filter(where: WebhookDeliveryFilterInput | None) -> services.DeliveryFilter:
    if where is None:
        return services.DeliveryFilter()
    endpoint = where.endpoint_id
    return services.DeliveryFilter(
        endpoint_id=None
        if endpoint is None
        else decode_id(endpoint, "WebhookEndpoint", "filter.endpointId"),
        status=status_filter(where.status),
        event_type=where.event_type,
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        metadata=requires("core.webhook:read"),
        description="Webhook endpoints, oldest first.",
    )
    async def webhook_endpoints(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        stmt = select(models.WebhookEndpoint)
        ctx = info.context

        async def work(session: AsyncSession) -> Page[models.WebhookEndpoint]:
            return await paginate(
                session,
                stmt,
                keys=[models.WebhookEndpoint.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.id,),
            )

        page = await run_query(info, work)
        return page.connection(WebhookEndpoint.from_row, count_of(ctx.db, stmt))

    @strawberry.field(
        metadata=requires("core.webhook:read"),
        description="Webhook deliveries, newest first, with their attempt log.",
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: WebhookDeliveryFilterInput | None = None,
    ) -> Connection[WebhookDelivery]:
        ctx = info.context

        async def work(session: AsyncSession) -> Page[models.WebhookDelivery]:
            return await paginate(
                session,
                services.filtered_deliveries(_filter(filter)),
                keys=[models.WebhookDelivery.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.id,),
            )

        page = await run_query(info, work)
        stmt = services.filtered_deliveries(_filter(filter))
        return page.connection(WebhookDelivery.from_row, count_of(ctx.db, stmt))


QUERY = WebhookQuery
