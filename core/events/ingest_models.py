"""Tables of custom events: the types integrators may push, and the events they pushed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import utcnow


class CustomEventType(IdMixin, TimestampMixin, Base):
    """A custom event type with the JSON Schema (draft 2020-12) its payloads must satisfy.

    ``version`` grows by one each time the schema changes; an inactive type accepts no events.
    """

    __tablename__ = "custom_event_type"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(String(500))
    json_schema: Mapped[dict] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(200))


class CustomEvent(IdMixin, Base):
    """An accepted custom event; its id is also its outbox event's id.

    ``source`` is who pushed it (``apikey:<id>`` or ``user:<id>``): one event per
    ``(source, idempotency_key)``, however often and however concurrently it is pushed.
    """

    __tablename__ = "custom_event"
    __table_args__ = (UniqueConstraint("source", "idempotency_key"),)

    type: Mapped[str] = mapped_column(String(100), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    payload: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
