from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from unicrm.core.authz.declare import requires
from unicrm.core.events.types import check_patterns
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.subscriptions import services
from unicrm.core.graph.subscriptions.types import CustomerEvent, DomainEvent


@strawberry.type
class CoreSubscription:
    @strawberry.subscription(
        metadata=requires("core.customer:read"),
        description="Domain events of the customers you may see, as they happen (best effort: "
        "events published while you are not connected are not replayed).",
    )
    async def customer_events(
        self, info: strawberry.Info, customer_id: strawberry.ID | None = None
    ) -> AsyncGenerator[CustomerEvent, None]:
        ctx = info.context
        wanted = decode_id(customer_id, "Customer", "customerId") if customer_id else None
        async with ctx.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if event.customer_id is None or wanted not in (None, event.customer_id):
                    continue
                if await services.customer_visible(ctx, event.customer_id):
                    yield CustomerEvent.of(event)

    @strawberry.subscription(
        metadata=requires("core.event:read"),
        description="Every domain event, or those of the given types or patterns "
        "(customer.created, customer.*, *), for integrations.",
    )
    async def domain_events(
        self, info: strawberry.Info, types: list[str] | None = None
    ) -> AsyncGenerator[DomainEvent, None]:
        patterns = check_patterns(types, "types") if types is not None else None
        async with info.context.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if services.selected(event, patterns):
                    yield DomainEvent.of(event)


SUBSCRIPTION = CoreSubscription
