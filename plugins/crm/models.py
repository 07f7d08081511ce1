from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


def _enum(python_enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        python_enum,
        native_enum=False,
        length=16,
        create_constraint=True,
        name=name,
        values_callable=lambda e: [m.value for m in e],
    )


class Case(IdMixin, Base):
    """A service request or complaint a customer raised, worked until it is closed."""

    __tablename__ = "crm_case"
    __table_args__ = (
        Index("ix_crm_case_opened_at_id", "opened_at", "id"),
        Index("ix_crm_case_status_opened_at_id", "status", "opened_at", "id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "status"), default=CaseStatus.NEW)
    priority: Mapped[CasePriority] = mapped_column(
        _enum(CasePriority, "priority"), default=CasePriority.NORMAL
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
