from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum, utcnow


class ContractKind(StrEnum):
    CONTRACT = "contract"
    SUBSCRIPTION = "subscription"
    MAINTENANCE_PLAN = "maintenance_plan"


class ContractStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    RENEWED = "renewed"


class BillingPeriod(StrEnum):
    ONE_TIME = "one_time"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class Contract(IdMixin, TimestampMixin, Base):
    """One period of a contract, subscription or maintenance plan of a customer.

    ``start_date`` and ``end_date`` are the first and last day covered (business dates). A
    renewal ends this period with status ``renewed`` and starts a new row whose
    ``previous_id`` points here, so every period keeps its own history and reminders.
    ``renewal_notice_days`` is the smallest reminder threshold already announced for this
    period.
    """

    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date > start_date", name="end_after_start"),
        CheckConstraint(
            "renewal_date IS NULL OR (renewal_date >= start_date AND "
            "(end_date IS NULL OR renewal_date <= end_date))",
            name="renewal_within_term",
        ),
        CheckConstraint("value IS NULL OR value >= 0", name="value_not_negative"),
        Index("ix_contract_customer_id_id", "customer_id", "id"),
        Index("ix_contract_status_end_date", "status", "end_date"),
        Index("ix_contract_renewal_date_id", "renewal_date", "id"),
    )

    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL")
    )
    kind: Mapped[ContractKind] = mapped_column(text_enum(ContractKind, length=20))
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str | None] = mapped_column(String(100))
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    asset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("asset.id", ondelete="SET NULL"), index=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    renewal_date: Mapped[date | None]
    auto_renew: Mapped[bool] = mapped_column(default=False)
    billing_period: Mapped[BillingPeriod] = mapped_column(text_enum(BillingPeriod, length=20))
    value: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[ContractStatus] = mapped_column(text_enum(ContractStatus, length=20))
    notes: Mapped[str | None] = mapped_column(Text)
    previous_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contract.id", ondelete="SET NULL"), unique=True
    )
    renewal_notice_days: Mapped[int | None]


class ContractStatusChange(IdMixin, Base):
    """One change of a contract's status: from what, to what, when, by whom and why."""

    __tablename__ = "contract_status_change"
    __table_args__ = (Index("ix_contract_status_change_contract_id_id", "contract_id", "id"),)

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"))
    from_status: Mapped[ContractStatus | None] = mapped_column(text_enum(ContractStatus, length=20))
    to_status: Mapped[ContractStatus] = mapped_column(text_enum(ContractStatus, length=20))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(300))
