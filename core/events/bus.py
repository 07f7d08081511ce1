"""Dispatching committed events: fan-out into deliveries, then delivery with retries.

Dispatch has two steps, both safe to run in any number of processes at once:

1. **Fan-out.** Each outbox event not yet dispatched becomes one ``EventDelivery`` per
   registered handler and one webhook delivery per subscribed endpoint, in one transaction
   that marks the event dispatched. Events are claimed with ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL (SQLite serializes writers).
2. **Delivery.** A due delivery is claimed the same way and its handler runs inside that
   transaction, under a savepoint: success commits the handler's writes together with the
   ``delivered`` mark, so a handler's database effects happen once. A failure rolls the
   savepoint back and schedules a retry with exponential backoff; after
   ``events.max_attempts`` failures the delivery is ``dead`` until retried by an admin.

With ``events.nats.url`` set, every event also gets a delivery to the NATS JetStream sink
(target ``sink:nats``, ``unicrm.core.events.jetstream``), claimed, retried and dead-lettered
the same way; its publish is bounded by ``events.nats.timeout_seconds``.

After the fan-out commits, its events are published to the live subscribers of every process
(``unicrm.core.events.fanout``): best effort, once per event.

Nothing depends on process memory: a restarted process picks up every undelivered row. A
process claims only deliveries of handlers it has, so during a rolling upgrade a delivery to
a handler that only newer processes know waits for them (it shows as pending).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from unicrm.core.config import EventSettings
from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.events.fanout import Fanout
from unicrm.core.events.jetstream import NatsSink
from unicrm.core.events.models import DUE_STATUSES, DeliveryStatus, EventDelivery, OutboxEvent
from unicrm.core.events.outbox import Event, handler_name
from unicrm.core.plugins.registry import EventHandler, Registry
from unicrm.core.retry import RetryPolicy
from unicrm.core.telemetry.tracing import consumer_span, mark_failed
from unicrm.core.webhooks import services as webhooks

log = logging.getLogger("unicrm.events")

MAX_ERROR = 4000


def _in_customer_order(sinks: list[str]) -> ColumnElement[bool]:
    """Sinks receive each customer's events in order: a sink delivery waits while an earlier
    event of the same customer is still undelivered to that sink (retrying, or dead until an
    admin retries it). Handlers are not held back."""
    if not sinks:
        return true()
    earlier = aliased(EventDelivery)
    mine, theirs = aliased(OutboxEvent), aliased(OutboxEvent)
    blocked = (
        select(earlier.id)
        .join(theirs, theirs.id == earlier.event_id)
        .join(mine, mine.id == EventDelivery.event_id)
        .where(
            earlier.handler == EventDelivery.handler,
            earlier.status != DeliveryStatus.DELIVERED,
            earlier.event_id < EventDelivery.event_id,
            theirs.customer_id == mine.customer_id,
        )
    )
    return or_(EventDelivery.handler.not_in(sinks), ~blocked.exists())


class EventBus:
    def __init__(
        self,
        db: Database,
        registry: Registry,
        settings: EventSettings | None = None,
        fanout: Fanout | None = None,
    ) -> None:
        self._db = db
        self._registry = registry
        self.settings = settings or EventSettings()
        self.fanout = fanout or Fanout()
        self.wake = asyncio.Event()
        """Set after a commit that emitted events, so a running dispatcher loop looks at once."""
        self.dispatcher_running = False
        self._nats: NatsSink | None = None
        self._retired: list[NatsSink] = []

    @property
    def policy(self) -> RetryPolicy:
        s = self.settings
        return RetryPolicy(s.max_attempts, s.backoff_base_seconds, s.backoff_max_seconds)

    def _handlers(self) -> dict[str, EventHandler]:
        """Every handler this process runs, by its delivery name."""
        return {
            handler_name(plugin, handler): handler
            for handlers in self._registry.event_handlers.values()
            for plugin, handler in handlers
        }

    def nats_sink(self) -> NatsSink | None:
        """The JetStream sink for the current ``events.nats`` settings, None while it is off."""
        config = self.settings.nats
        if not config.url:
            return None
        if self._nats is None or self._nats.settings != config:
            if self._nats is not None:
                self._retired.append(self._nats)
            self._nats = NatsSink(config)
        return self._nats

    def _sinks(self) -> dict[str, NatsSink]:
        sink = self.nats_sink()
        return {} if sink is None else {sink.name: sink}

    async def start(self) -> None:
        """Prepare the external sinks (create the JetStream stream) at process start."""
        if (sink := self.nats_sink()) is not None:
            await sink.start()

    async def close(self) -> None:
        """Close the external sinks' connections at shutdown."""
        sinks, self._retired = [*self._retired, *self._sinks().values()], []
        self._nats = None
        for sink in sinks:
            await sink.close()

    async def after_commit(self) -> None:
        """Called after a unit of work commits: wake the dispatcher loop, or, without one
        running in this process, deliver to the handlers now (webhooks and the NATS sink wait
        for a loop: a request never waits on a remote server)."""
        if self.dispatcher_running:
            self.wake.set()
        else:
            await self.dispatch_pending(sinks=False)

    async def dispatch_pending(self, now: datetime | None = None, *, sinks: bool = True) -> int:
        """Fan out every pending event and run every due handler delivery (and sink delivery,
        unless ``sinks`` is false); returns how many deliveries succeeded."""
        while await self.fan_out():
            pass
        return await self.deliver_due(now, sinks=sinks)

    async def fan_out(self) -> int:
        """Turn one batch of undispatched events into deliveries; returns the batch size."""
        async with self._db.transaction() as session:
            events = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.dispatched_at.is_(None))
                    .order_by(OutboxEvent.id)
                    .limit(self.settings.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not events:
                return 0
            await self._add_deliveries(session, events)
            await webhooks.fan_out(session, events)
            now = utcnow()
            for event in events:
                event.dispatched_at = now
            published = [Event.from_row(event) for event in events]
        await self.fanout.publish(published)
        return len(events)

    async def _add_deliveries(self, session: AsyncSession, events: list[Any]) -> None:
        existing = {
            (event_id, handler)
            for event_id, handler in await session.execute(
                select(EventDelivery.event_id, EventDelivery.handler).where(
                    EventDelivery.event_id.in_([e.id for e in events])
                )
            )
        }
        now = utcnow()
        sinks = list(self._sinks())
        for event in events:
            names = [handler_name(p, h) for p, h in self._registry.handlers_for(event.type)]
            for name in [*names, *sinks]:
                if (event.id, name) not in existing:
                    session.add(
                        EventDelivery(
                            event_id=event.id,
                            event_type=event.type,
                            handler=name,
                            status=DeliveryStatus.PENDING,
                            next_attempt_at=now,
                        )
                    )

    async def deliver_due(self, now: datetime | None = None, *, sinks: bool = True) -> int:
        """Run due deliveries, a batch per transaction, until none is due; returns how many
        succeeded. ``sinks=False`` leaves the external sinks (NATS) to the dispatcher loop."""
        delivered = 0
        while (outcome := await self.deliver_batch(now, sinks=sinks)) is not None:
            delivered += outcome
        return delivered

    async def deliver_batch(self, now: datetime | None = None, *, sinks: bool = True) -> int | None:
        """Claim up to ``batch_size`` due deliveries and run each, in one transaction; returns
        how many succeeded, or None when nothing is due.

        Each handler runs under its own savepoint, so a failing one is rolled back and retried
        later alone; the batch commits once. Claims skip rows other dispatchers hold, and a
        crash before the commit leaves every claimed delivery due again (handlers and sinks
        are idempotent by event id).
        """
        moment = now or utcnow()
        handlers = self._handlers()
        targets = self._sinks() if sinks else {}
        if not handlers and not targets:
            return None
        async with self._db.transaction() as session:
            deliveries = (
                await session.scalars(
                    select(EventDelivery)
                    .where(
                        EventDelivery.status.in_(DUE_STATUSES),
                        EventDelivery.next_attempt_at <= moment,
                        EventDelivery.handler.in_([*handlers, *targets]),
                        _in_customer_order(list(targets)),
                    )
                    .order_by(EventDelivery.next_attempt_at, EventDelivery.id)
                    .limit(self.settings.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not deliveries:
                return None
            rows = {
                row.id: row
                for row in await session.scalars(
                    select(OutboxEvent).where(OutboxEvent.id.in_({d.event_id for d in deliveries}))
                )
            }
            delivered = 0
            for delivery in deliveries:
                row = rows[delivery.event_id]
                name = delivery.handler
                if name in targets:
                    error = await self._publish(targets[name], row)
                else:
                    error = await self._run(
                        session, Event.from_row(row), name, handlers[name], row.traceparent
                    )
                await self._settle(session, delivery.id, delivery.attempts + 1, error, moment)
                delivered += error is None
            return delivered

    async def _run(
        self,
        session: AsyncSession,
        event: Event,
        name: str,
        handler: EventHandler,
        traceparent: str | None,
    ) -> str | None:
        """Run the handler under a savepoint; the error text if it failed, else None."""
        attributes = {"unicrm.event.type": event.type, "unicrm.event.handler": name}
        with consumer_span(f"event {event.type}", traceparent, attributes) as span:
            try:
                async with session.begin_nested():
                    await handler(event, session)
            except Exception as exc:  # a failing handler must not stop the dispatcher
                mark_failed(span, exc)  # by type only: messages may quote personal data
                log.exception("event handler failed", extra={"event": event.type, "handler": name})
                return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        return None

    async def _publish(self, sink: NatsSink, row: OutboxEvent) -> str | None:
        """Publish to an external sink; the error text if it was not acknowledged, else None."""
        attributes = {"unicrm.event.type": row.type, "unicrm.event.handler": sink.name}
        with consumer_span(f"publish {row.type}", row.traceparent, attributes) as span:
            try:
                await sink.publish(row)
            except Exception as exc:  # a down broker must not stop the dispatcher
                mark_failed(span, exc)
                log.warning(
                    "event publish failed: %s: %s",
                    type(exc).__name__,
                    exc,
                    extra={"event": row.type, "handler": sink.name},
                )
                return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        return None

    async def _settle(
        self,
        session: AsyncSession,
        delivery_id: uuid.UUID,
        attempts: int,
        error: str | None,
        now: datetime,
    ) -> None:
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        if error is None:
            values.update(
                status=DeliveryStatus.DELIVERED, delivered_at=utcnow(), next_attempt_at=None
            )
        else:
            retry_at = self.policy.next_attempt(attempts, now)
            values.update(
                status=DeliveryStatus.DEAD if retry_at is None else DeliveryStatus.RETRYING,
                next_attempt_at=retry_at,
            )
        await session.execute(
            update(EventDelivery).where(EventDelivery.id == delivery_id).values(**values)
        )
