"""Publishing domain events.

``emit`` adds the event to the outbox in the caller's transaction, so a rolled-back change
publishes nothing. The payload of a declared event type (``unicrm.core.events.types``) is
validated first. The current OpenTelemetry context travels with the event as its W3C
``traceparent``, so handler and webhook spans join the trace of the request that caused it.
Dispatching is the ``EventBus``'s job (``unicrm.core.events.bus``).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opentelemetry import propagate
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.events.models import OutboxEvent
from unicrm.core.events.types import EVENT_TYPES, payload_of, typed_payload, validated_payload


@dataclass(frozen=True, slots=True)
class Event:
    """What a handler receives."""

    id: uuid.UUID
    type: str
    customer_id: uuid.UUID | None
    payload: dict[str, Any]
    actor: str | None
    created_at: datetime | None = None

    @property
    def data(self) -> Any:
        """The payload as its declared dataclass (``OrderPlaced``…), or the dict if undeclared."""
        return typed_payload(self.type, self.payload)

    @classmethod
    def from_row(cls, row: OutboxEvent) -> Event:
        return cls(row.id, row.type, row.customer_id, dict(row.payload), row.actor, row.created_at)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def emit(
    session: AsyncSession,
    event_type: str,
    payload: dict[str, Any] | Any = None,
    *,
    customer_id: uuid.UUID | None = None,
) -> OutboxEvent:
    """Write an event to the outbox in ``session``'s transaction.

    ``payload`` is a dict or an instance of the type's payload dataclass; a payload that does
    not match a declared type's schema raises ``ValueError``.
    """
    if dataclasses.is_dataclass(payload) and not isinstance(payload, type):
        if EVENT_TYPES.get(event_type) is not type(payload):
            raise ValueError(f"{type(payload).__name__} is not the payload of {event_type}")
        data = payload_of(payload)
    else:
        data = validated_payload(event_type, payload or {})
    actor = session.info.get("actor")
    row = OutboxEvent(
        type=event_type,
        customer_id=customer_id,
        payload=data,
        actor=getattr(actor, "name", None),
        traceparent=current_traceparent(),
    )
    session.add(row)
    session.info["emitted"] = True
    return row


def handler_name(plugin: str, handler: Any) -> str:
    """The stable name of a handler on its delivery rows: ``plugin:qualified.name``."""
    return f"{plugin}:{getattr(handler, '__qualname__', repr(handler))}"
