"""The outbox tables: events, one delivery per (event, handler), and handled-effect keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class OutboxEvent(IdMixin, Base):
    """A domain event, committed with the change that caused it (the transactional outbox).

    ``dispatched_at`` is set once the event has been fanned out into its deliveries (one per
    handler, one per matching webhook endpoint); delivery state lives on those rows.
    """

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_pending", "dispatched_at", "id"),)

    type: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payload: Mapped[dict] = mapped_column(default=dict)
    actor: Mapped[str | None] = mapped_column(String(200))
    traceparent: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    DEAD = "dead"


DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def status_column() -> Mapped[DeliveryStatus]:
    return mapped_column(
        Enum(
            DeliveryStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeliveryStatus.PENDING,
    )


class EventDelivery(IdMixin, Base):
    """One handler's delivery of one event: its status, attempts and next retry time."""

    __tablename__ = "event_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "handler"),
        Index("ix_event_delivery_due", "status", "next_attempt_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    handler: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[DeliveryStatus] = status_column()
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class EventEffect(Base):
    """A side effect already made for an event (``unicrm.core.events.idempotency.once``)."""

    __tablename__ = "event_effect"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
