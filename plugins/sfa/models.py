from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class DealStage(StrEnum):
    COLD = "cold"
    WARM = "warm"
    OPPORTUNITY = "opportunity"
    QUALIFY = "qualify"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


class Deal(IdMixin, Base):
    """A sales opportunity with one customer, moving through the pipeline stages."""

    __tablename__ = "sfa_deal"
    __table_args__ = (
        Index("ix_sfa_deal_created_at_id", "created_at", "id"),
        Index("ix_sfa_deal_stage_created_at_id", "stage", "created_at", "id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    stage: Mapped[DealStage] = mapped_column(
        Enum(
            DealStage,
            native_enum=False,
            length=20,
            create_constraint=True,
            name="stage",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DealStage.COLD,
    )
    amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    expected_close_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
