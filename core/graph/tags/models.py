from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import utcnow


class Tag(IdMixin, TimestampMixin, Base):
    """A label staff put on customers by hand (``VIP``, ``Wholesale``).

    ``name_key`` is the case-folded name: the unique key, so ``vip`` and ``VIP`` are one tag
    on both databases without an expression index.
    """

    __tablename__ = "tag"

    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str | None] = mapped_column(String(7))


class CustomerTag(Base):
    """A tag on a customer: who put it there and when."""

    __tablename__ = "customer_tag"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    tagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    tagged_by: Mapped[str | None] = mapped_column(String(200))
