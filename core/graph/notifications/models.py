from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class NotificationKind(StrEnum):
    ASSIGNMENT = "assignment"
    HANDOFF = "handoff"
    SLA_WARNING = "sla_warning"
    MENTION = "mention"
    REMINDER = "reminder"


class Notification(IdMixin, Base):
    """One message in a user's inbox; ``subject`` is the global id of what it is about."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_inbox", "user_id", "created_at", "id"),
        Index("ix_notification_unread", "user_id", "read_at"),
        Index("ix_notification_read_at", "read_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(
            NotificationKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(String(2000))
    subject: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
