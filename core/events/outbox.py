"""Publishing and dispatching domain events.

``emit`` adds the event to the outbox in the caller's transaction, so a rolled-back change
publishes nothing. ``EventBus.dispatch_pending`` delivers committed events to every handler
registered through ``register_event_handlers``. Each handler runs in its own transaction that
also records an ``EventDelivery`` row; a handler that already succeeded for an event is never
run again, so redelivery after a crash changes nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import EventDelivery, OutboxEvent
from unicrm.core.plugins.registry import Registry

log = logging.getLogger("unicrm.events")


@dataclass(frozen=True, slots=True)
class Event:
    """What a handler receives."""

    id: uuid.UUID
    type: str
    customer_id: uuid.UUID | None
    payload: dict[str, Any]
    actor: str | None


def emit(
    session: AsyncSession,
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    customer_id: uuid.UUID | None = None,
) -> OutboxEvent:
    actor = session.info.get("actor")
    row = OutboxEvent(
        type=event_type,
        customer_id=customer_id,
        payload=payload or {},
        actor=getattr(actor, "name", None),
    )
    session.add(row)
    session.info["emitted"] = True
    return row


def handler_name(plugin: str, handler: Any) -> str:
    return f"{plugin}:{getattr(handler, '__qualname__', repr(handler))}"


class EventBus:
    def __init__(self, db: Database, registry: Registry, batch: int = 100) -> None:
        self._db = db
        self._registry = registry
        self._batch = batch

    async def after_commit(self) -> None:
        """Deliver what the just-committed transaction emitted (and anything left pending)."""
        await self.dispatch_pending()

    async def dispatch_pending(self) -> int:
        """Deliver pending events in id order; returns how many were fully dispatched."""
        done = 0
        async with self._db.session() as session:
            rows = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.dispatched_at.is_(None))
                    .order_by(OutboxEvent.id)
                    .limit(self._batch)
                )
            ).all()
        for row in rows:
            if await self._deliver(row):
                done += 1
        return done

    async def _deliver(self, row: OutboxEvent) -> bool:
        event = Event(row.id, row.type, row.customer_id, dict(row.payload), row.actor)
        ok = True
        errors: list[str] = []
        for plugin, handler in self._registry.handlers_for(event.type):
            name = handler_name(plugin, handler)
            try:
                async with self._db.transaction() as session:
                    seen = await session.get(EventDelivery, (event.id, name))
                    if seen is not None:
                        continue
                    session.add(EventDelivery(event_id=event.id, handler=name))
                    await session.flush()
                    await handler(event, session)
            except IntegrityError:
                continue  # another dispatcher delivered it first
            except Exception as exc:  # a failing handler must not block the others
                ok = False
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
                log.exception("event handler failed", extra={"event": event.type, "handler": name})
        async with self._db.transaction() as session:
            stored = await session.get(OutboxEvent, event.id)
            if stored is not None:
                stored.attempts += 1
                if ok:
                    stored.dispatched_at = utcnow()
                    stored.last_error = None
                else:
                    stored.last_error = "\n".join(errors)[:4000]
        return ok
