from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class TimelineEntry(IdMixin, Base):
    """One thing that happened to a customer, written by core or a plugin.

    Written in the same transaction as the change it describes. ``kind`` is namespaced by its
    writer (``core.order_placed``, ``ma.email_opened``); ``ref_type``/``ref_id`` name the
    record it is about (a GraphQL type name and its primary key).
    """

    __tablename__ = "timeline_entry"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(String(2000))
    data: Mapped[dict] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(200))
    ref_type: Mapped[str | None] = mapped_column(String(64))
    ref_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index(
    "ix_timeline_entry_feed",
    TimelineEntry.customer_id,
    TimelineEntry.occurred_at.desc(),
    TimelineEntry.id.desc(),
)
