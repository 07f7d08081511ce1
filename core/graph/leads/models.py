from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum, utcnow
from unicrm.core.graph.customers.models import LifecycleStage


class LeadStatus(StrEnum):
    OPEN = "open"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


class LeadTemperature(StrEnum):
    """The B2B lead status many businesses use before a lead becomes an opportunity."""

    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class LeadSource(StrEnum):
    WEB_FORM = "web_form"
    EVENT = "event"
    INSIDE_SALES_CALL = "inside_sales_call"
    IMPORT = "import"
    POS = "pos"
    REFERRAL = "referral"


class Lead(IdMixin, TimestampMixin, Base):
    """A customer's interest in buying, worked by an owner until converted or disqualified.

    A customer has at most one open lead (a partial unique index). ``(external_source,
    external_id)`` is the integrator's key: pushing the same lead again finds this row.
    """

    __tablename__ = "lead"
    __table_args__ = (
        UniqueConstraint("external_source", "external_id"),
        Index(
            "uq_lead_open_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_lead_created_at_id", "created_at", "id"),
        Index("ix_lead_status_temperature", "status", "temperature"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[LeadStatus] = mapped_column(
        text_enum(LeadStatus, length=32), default=LeadStatus.OPEN
    )
    temperature: Mapped[LeadTemperature] = mapped_column(
        text_enum(LeadTemperature, length=32), default=LeadTemperature.COLD
    )
    source: Mapped[LeadSource] = mapped_column(text_enum(LeadSource, length=32))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    external_source: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    converted_at: Mapped[datetime | None]
    converted_by: Mapped[str | None] = mapped_column(String(200))
    disqualified_at: Mapped[datetime | None]
    disqualified_reason: Mapped[str | None] = mapped_column(String(500))


class LeadTemperatureChange(IdMixin, Base):
    """One temperature change of a lead (append-only); the first row is its starting value."""

    __tablename__ = "lead_temperature_change"
    __table_args__ = (Index("ix_lead_temperature_change_lead", "lead_id", "changed_at", "id"),)

    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    from_temperature: Mapped[LeadTemperature | None] = mapped_column(
        text_enum(LeadTemperature, length=32)
    )
    to_temperature: Mapped[LeadTemperature] = mapped_column(text_enum(LeadTemperature, length=32))
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class LifecycleChange(IdMixin, Base):
    """One move of a customer's lifecycle stage (append-only): from, to, who, when and why.

    ``changed_by`` is the actor's name (``system`` for automatic moves); ``user_id`` is set
    when a user made the change.
    """

    __tablename__ = "customer_lifecycle_change"
    __table_args__ = (
        Index("ix_customer_lifecycle_change_customer", "customer_id", "changed_at", "id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    from_stage: Mapped[LifecycleStage | None] = mapped_column(text_enum(LifecycleStage, length=32))
    to_stage: Mapped[LifecycleStage] = mapped_column(text_enum(LifecycleStage, length=32))
    changed_by: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
