from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum, utcnow


class MessagePurpose(StrEnum):
    MARKETING = "marketing"  # needs marketing consent on the channel; capped; unsubscribable
    SERVICE = "service"  # reminders, receipts: part of a service the customer uses


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    OPENED = "opened"
    CLICKED = "clicked"
    UNSUBSCRIBED = "unsubscribed"
    BLOCKED = "blocked"
    FAILED = "failed"


class SuppressionReason(StrEnum):
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    ERASED = "erased"
    MANUAL = "manual"


ALL_PURPOSES = "all"
"""A suppression's ``purpose`` when it stops every message, not only one purpose."""


class MessageTemplate(IdMixin, TimestampMixin, Base):
    """A Jinja2 template of one channel in one locale; ``version`` grows with every change.

    ``variables`` are the context variables senders provide, besides ``customer`` and
    ``unsubscribe_url`` which every template may use.
    """

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("key", "channel", "locale"),)

    key: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    variables: Mapped[list] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(default=1)


class Message(IdMixin, TimestampMixin, Base):
    """One message to one customer over one channel, as sent, deferred or blocked.

    ``(sender_key, customer_id, channel)`` is unique: a sender (a campaign, a job) repeating a
    send gets the first message back. ``address`` is the address used, cleared on erasure.
    """

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("sender_key", "customer_id", "channel"),
        Index("ix_message_customer_created", "customer_id", "created_at", "id"),
        Index("ix_message_cap", "customer_id", "channel", "purpose", "created_at"),
        Index("ix_message_created", "created_at", "id"),
    )

    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[MessagePurpose] = mapped_column(text_enum(MessagePurpose))
    template_key: Mapped[str] = mapped_column(String(100))
    template_version: Mapped[int]
    locale: Mapped[str] = mapped_column(String(8))
    sender_key: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[MessageStatus] = mapped_column(text_enum(MessageStatus), index=True)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(500))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(200), index=True)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class MessageStatusChange(IdMixin, Base):
    """One step of a message's status history. Append-only."""

    __tablename__ = "message_status_change"
    __table_args__ = (Index("ix_message_status_change_history", "message_id", "occurred_at"),)

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    status: Mapped[MessageStatus] = mapped_column(text_enum(MessageStatus))
    reason: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(IdMixin, Base):
    """An address that must not be contacted on a channel, for one purpose or all.

    Matched by ``address_hash`` (SHA-256 of the normalized address), so a suppression outlives
    the erasure of its address: an erased customer is never contacted again.
    """

    __tablename__ = "message_suppression"
    __table_args__ = (UniqueConstraint("channel", "address_hash", "purpose"),)

    channel: Mapped[str] = mapped_column(String(40))
    address_hash: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(16))
    reason: Mapped[SuppressionReason] = mapped_column(text_enum(SuppressionReason))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
