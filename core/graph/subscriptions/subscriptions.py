from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from unicrm.core.authz.declare import requires
from unicrm.core.errors import NotFound
from unicrm.core.events.types import check_patterns
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.subscriptions import services
from unicrm.core.graph.subscriptions.types import CustomerEvent, DomainEvent
from unicrm.core.graph.timeline.types import TimelineEntry


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
        metadata=requires("core.customer:read"),
        description="The customer each time its record changes (names, contacts, tags, "
        "identities, consents...), as it is after the change; ends with NOT_FOUND once you "
        "may no longer see it.",
    )
    async def customer_updated(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> AsyncGenerator[Customer, None]:
        ctx = info.context
        pk = decode_id(id, "Customer", "id")
        await _visible(ctx, pk)
        async with ctx.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if not services.changes_customer(event, pk):
                    continue
                await _visible(ctx, pk)
                row = await services.current_customer(ctx, pk)
                if row is not None:
                    yield Customer.from_row(row)

    @strawberry.subscription(
        metadata=requires("core.timeline:read"),
        description="Entries added to a customer's timeline, oldest first, as they are "
        "written by core and the plugins.",
    )
    async def timeline_entry_added(
        self, info: strawberry.Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[TimelineEntry, None]:
        ctx = info.context
        pk = decode_id(customer_id, "Customer", "customerId")
        await _visible(ctx, pk)
        seen = await services.latest_entry_id(ctx, pk)
        async with ctx.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if event.customer_id != pk:
                    continue
                await _visible(ctx, pk)
                for row in await services.entries_after(ctx, pk, seen):
                    seen = row.id
                    yield TimelineEntry.from_row(row)

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


async def _visible(ctx: Any, customer_id: uuid.UUID) -> None:
    """NOT_FOUND unless the subscriber may see the customer now (their row scope)."""
    if not await services.customer_visible(ctx, customer_id):
        raise NotFound("no such customer")


SUBSCRIPTION = CoreSubscription
