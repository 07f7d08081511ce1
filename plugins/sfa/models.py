"""SFA's tables: pipelines and their stages, deals, their contacts and their stage history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import text_enum, utcnow


class StageKind(StrEnum):
    """Open stages hold deals being worked; a deal in a won or lost stage is closed."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class DealSource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    MA_HANDOFF = "ma_handoff"
    LEAD_CONVERSION = "lead_conversion"


class ContactRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    CHAMPION = "champion"
    EVALUATOR = "evaluator"
    USER = "user"
    OTHER = "other"


class Pipeline(IdMixin, Base):
    """A sales process of the organization (B2B projects, B2C retail...). Exactly one is the
    default, where converted leads open their deals."""

    __tablename__ = "sfa_pipeline"
    __table_args__ = (
        Index(
            "uq_sfa_pipeline_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Stage(IdMixin, Base):
    """One stage of a pipeline. Stages are renamed, reordered and archived, never deleted, so
    the stage history of every deal keeps pointing at them."""

    __tablename__ = "sfa_stage"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "name"),
        Index("ix_sfa_stage_pipeline_position", "pipeline_id", "position"),
        CheckConstraint("probability >= 0 AND probability <= 100", name="probability_percent"),
    )

    pipeline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sfa_pipeline.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    probability: Mapped[int] = mapped_column(
        doc="The default win probability of a deal in this stage, in percent."
    )
    kind: Mapped[StageKind] = mapped_column(text_enum(StageKind), default=StageKind.OPEN)
    archived_at: Mapped[datetime | None]


class Deal(IdMixin, Base):
    """A sales opportunity with one customer (a person or a company), moving through the
    stages of one pipeline. ``version`` grows with every change: a write based on an older
    version fails instead of silently overwriting (SQLAlchemy's version counter)."""

    __tablename__ = "sfa_deal"
    __table_args__ = (
        Index("ix_sfa_deal_created_at_id", "created_at", "id"),
        Index("ix_sfa_deal_stage_created_at_id", "stage_id", "created_at", "id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    pipeline_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sfa_pipeline.id", ondelete="RESTRICT"), index=True
    )
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sfa_stage.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[DealSource] = mapped_column(
        text_enum(DealSource, length=32), default=DealSource.MANUAL
    )
    expected_close_date: Mapped[date | None]
    next_step: Mapped[str | None] = mapped_column(String(500))
    lost_reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column()
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class DealContact(IdMixin, Base):
    """A person involved in a deal, with their role in the buying decision."""

    __tablename__ = "sfa_deal_contact"
    __table_args__ = (UniqueConstraint("deal_id", "customer_id"),)

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sfa_deal.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ContactRole] = mapped_column(text_enum(ContactRole, length=32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StageChange(IdMixin, Base):
    """One stage move of a deal (append-only); the first row, from no stage, is its opening.
    ``seconds_in_stage`` is how long the deal stayed in ``from_stage``."""

    __tablename__ = "sfa_stage_change"
    __table_args__ = (Index("ix_sfa_stage_change_deal", "deal_id", "changed_at", "id"),)

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sfa_deal.id", ondelete="CASCADE"))
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sfa_stage.id", ondelete="RESTRICT")
    )
    to_stage_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sfa_stage.id", ondelete="RESTRICT"), index=True
    )
    changed_by: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    seconds_in_stage: Mapped[int | None] = mapped_column(BigInteger)


class ActivityKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    VISIT = "visit"
    EMAIL = "email"
    TASK = "task"


class Activity(IdMixin, Base):
    """A call, meeting, visit, e-mail or task with a customer, optionally about one deal.

    Activities belong to the customer, not to the rep: ``owner_id`` says who did it (or must
    do it) and is cleared if that user goes, and whoever works the customer later reads every
    activity through the customer. Meetings may carry a video-call link, visits a check-in
    location, tasks a due time and a reminder (``reminded_at`` once it went out).
    """

    __tablename__ = "sfa_activity"
    __table_args__ = (
        Index("ix_sfa_activity_customer", "customer_id", "occurred_at", "id"),
        Index("ix_sfa_activity_deal", "deal_id", "occurred_at", "id"),
        Index("ix_sfa_activity_open_tasks", "owner_id", "completed_at", "due_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    deal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sfa_deal.id", ondelete="SET NULL")
    )
    kind: Mapped[ActivityKind] = mapped_column(text_enum(ActivityKind))
    subject: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(String(4000))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_minutes: Mapped[int | None]
    video_url: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location: Mapped[str | None] = mapped_column(String(300))
    due_at: Mapped[datetime | None]
    remind_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Quote(IdMixin, Base):
    """One version of a quote for a deal. Only a draft is edited; a new version copies the
    latest one into a new draft and keeps the old ones (``family_id`` is the first version's
    id). Amounts are in satang precision: ``net_total`` excludes VAT, ``grand_total``
    includes it, whichever way the line prices were given (``prices_include_vat``)."""

    __tablename__ = "sfa_quote"
    __table_args__ = (
        UniqueConstraint("family_id", "version"),
        Index("ix_sfa_quote_deal", "deal_id", "created_at", "id"),
        Index("ix_sfa_quote_status_valid_until", "status", "valid_until"),
    )

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sfa_deal.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID]
    version: Mapped[int]
    status: Mapped[QuoteStatus] = mapped_column(text_enum(QuoteStatus), default=QuoteStatus.DRAFT)
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_vat: Mapped[bool]
    vat_rate: Mapped[Decimal]
    net_total: Mapped[Decimal]
    discount_total: Mapped[Decimal]
    vat_amount: Mapped[Decimal]
    grand_total: Mapped[Decimal]
    valid_until: Mapped[date]
    delivery_lead_days: Mapped[int | None]
    delivery_date: Mapped[date | None]
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer_order.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]


class QuoteLine(IdMixin, Base):
    """A product line of a quote; SKU and name are copied so a renamed product never rewrites
    a quote. ``line_total`` is quantity times unit price less the discount, in the quote's VAT
    mode."""

    __tablename__ = "sfa_quote_line"
    __table_args__ = (
        UniqueConstraint("quote_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sfa_quote.id", ondelete="CASCADE"))
    position: Mapped[int]
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    discount_percent: Mapped[Decimal | None]
    discount_amount: Mapped[Decimal | None]
    discount: Mapped[Decimal]
    line_total: Mapped[Decimal]


class RuleKind(StrEnum):
    ACCOUNT_OWNER = "account_owner"
    TERRITORY = "territory"
    ROUND_ROBIN = "round_robin"


class AssignmentKind(StrEnum):
    MANUAL = "manual"
    RULE = "rule"
    HANDOFF = "handoff"


class AssignmentRule(IdMixin, Base):
    """One rule of automatic deal assignment, tried in ``position`` order: the customer's
    account owner, round-robin in the team covering the customer's province, or round-robin
    in a fixed team."""

    __tablename__ = "sfa_assignment_rule"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[RuleKind] = mapped_column(text_enum(RuleKind, length=32))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundRobin(Base):
    """Whom a team's round-robin gave a deal to last; its row lock orders concurrent turns."""

    __tablename__ = "sfa_round_robin"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    last_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )


class DealAssignment(IdMixin, Base):
    """One change of a deal's owner (append-only): by hand, by a rule, or a hand-off from an
    inside rep to a field rep with its note."""

    __tablename__ = "sfa_deal_assignment"
    __table_args__ = (Index("ix_sfa_deal_assignment_deal", "deal_id", "assigned_at", "id"),)

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sfa_deal.id", ondelete="CASCADE"))
    kind: Mapped[AssignmentKind] = mapped_column(text_enum(AssignmentKind))
    from_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    to_owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sfa_assignment_rule.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(String(2000))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
