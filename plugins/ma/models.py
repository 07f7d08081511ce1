from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class LeadScore(IdMixin, Base):
    """A customer's current lead score under the default scoring model."""

    __tablename__ = "ma_lead_score"
    __table_args__ = (Index("ix_ma_lead_score_value", "value"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), unique=True
    )
    value: Mapped[int] = mapped_column(default=0)
    model: Mapped[str] = mapped_column(String(100), default="default")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
