from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum


class CustomerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class LifecycleStage(StrEnum):
    """Where a customer stands with the organization (docs/leads.md); churned is off the
    line, the others are in order."""

    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    MARKETING_QUALIFIED = "marketing_qualified"
    SALES_QUALIFIED = "sales_qualified"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    CHURNED = "churned"


class Customer(IdMixin, TimestampMixin, Base):
    """A person or a company the organization has a relationship with.

    ``display_name`` is kept in step with the name fields; it is what lists sort and search on.
    Companies may form a hierarchy through ``parent_id``.
    """

    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_display_name_id", "display_name", "id"),)

    kind: Mapped[CustomerKind] = mapped_column(
        Enum(
            CustomerKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    display_name: Mapped[str] = mapped_column(String(300))
    first_name: Mapped[str | None] = mapped_column(String(150))
    last_name: Mapped[str | None] = mapped_column(String(150))
    birth_date: Mapped[date | None]
    company_name: Mapped[str | None] = mapped_column(String(300))
    tax_id: Mapped[str | None] = mapped_column(String(32))
    industry: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    attributes: Mapped[dict] = mapped_column(default=dict)
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        text_enum(LifecycleStage, length=32),
        default=LifecycleStage.SUBSCRIBER,
        server_default=LifecycleStage.SUBSCRIBER.value,
        index=True,
    )
    version: Mapped[int] = mapped_column(default=1)


class CustomerAlias(Base):
    """An id that was merged away, and the customer it now resolves to."""

    __tablename__ = "customer_alias"

    old_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
