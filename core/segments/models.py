from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import utcnow


class SegmentKind(StrEnum):
    DYNAMIC = "dynamic"
    STATIC = "static"


class Segment(IdMixin, TimestampMixin, Base):
    """A saved audience. A dynamic segment's members are the customers its ``definition``
    (a filter tree, docs/segments.md) selects, materialised by refreshes; a static segment's
    members are added and removed by hand or by CSV.

    ``created_by`` is the segment's owner for the row scope ``own``; ``department_id`` its
    department for the scope ``department``.
    """

    __tablename__ = "segment"
    __table_args__ = (Index("ix_segment_name_id", "name", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[SegmentKind] = mapped_column(
        Enum(
            SegmentKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    definition: Mapped[dict | None]
    refresh_minutes: Mapped[int] = mapped_column(default=60)
    member_count: Mapped[int] = mapped_column(default=0)
    refreshed_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )


class SegmentMember(Base):
    """A customer in a segment since ``entered_at``."""

    __tablename__ = "segment_member"

    segment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("segment.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class SegmentTagRule(IdMixin, Base):
    """Auto-tagging: customers entering the segment get the tag (``add_on_enter``), customers
    leaving it lose it (``remove_on_exit``). Applied by every refresh."""

    __tablename__ = "segment_tag_rule"
    __table_args__ = (UniqueConstraint("segment_id", "tag_id"),)

    segment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"))
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
    add_on_enter: Mapped[bool] = mapped_column(default=True)
    remove_on_exit: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
