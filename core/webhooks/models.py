"""Webhook endpoints, their deliveries (one per event and endpoint) and each attempt's log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import DeliveryStatus, status_column


class WebhookEndpoint(IdMixin, TimestampMixin, Base):
    """A URL that receives the events matching ``event_types`` (patterns such as ``customer.*``).

    The signing secret is stored encrypted (``unicrm.core.webhooks.secrets``) and shown only
    once, when the endpoint is created. ``failure_count`` counts failed attempts in a row; the
    endpoint is switched off with ``disabled_reason`` when it reaches the configured threshold.
    """

    __tablename__ = "webhook_endpoint"

    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    failure_count: Mapped[int] = mapped_column(default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None]


class WebhookDelivery(IdMixin, Base):
    """One event sent (and retried) to one endpoint; a replay is a new delivery."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outbox_event.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[DeliveryStatus] = status_column()
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    replay_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class WebhookAttempt(IdMixin, Base):
    """The log of one HTTP attempt: status code, latency, the response's first KB, or the error."""

    __tablename__ = "webhook_attempt"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    response_snippet: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
