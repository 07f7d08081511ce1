from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Member(IdMixin, Base):
    """A customer's membership of the loyalty programme: one card, one tier, one balance."""

    __tablename__ = "loyalty_member"
    __table_args__ = (CheckConstraint("points_balance >= 0", name="points_not_negative"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), unique=True
    )
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    tier: Mapped[str] = mapped_column(String(32))
    points_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[MemberStatus] = mapped_column(
        Enum(
            MemberStatus,
            native_enum=False,
            length=16,
            create_constraint=True,
            name="status",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MemberStatus.ACTIVE,
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
