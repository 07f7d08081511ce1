from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import text_enum, utcnow


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_INTERNAL = "pending_internal"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseChannel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    LINE = "line"
    WEB_FORM = "web_form"
    WALK_IN = "walk_in"


class CaseMessageKind(StrEnum):
    CUSTOMER = "customer"
    """Written by the customer (inbound)."""
    REPLY = "reply"
    """A public reply of the service team, seen by the customer."""
    NOTE = "note"
    """An internal note, never shown to the customer."""


class Case(IdMixin, Base):
    """A service request or complaint a customer raised, worked until it is closed.

    ``team_id`` is the queue the case waits in; ``assignee_id`` the agent working it. The
    product concerned is ``product_id`` and, for one physical item, ``asset_id`` with its
    ``serial_number``; ``order_id`` links the purchase the case is about.
    """

    __tablename__ = "crm_case"
    __table_args__ = (
        Index("ix_crm_case_opened_at_id", "opened_at", "id"),
        Index("ix_crm_case_status_opened_at_id", "status", "opened_at", "id"),
        Index("ix_crm_case_team_id_status", "team_id", "status"),
        Index("ix_crm_case_assignee_id_status", "assignee_id", "status"),
        Index("ix_crm_case_first_response_warn_at", "first_response_warn_at"),
        Index("ix_crm_case_first_response_due_at", "first_response_due_at"),
        Index("ix_crm_case_resolution_warn_at", "resolution_warn_at"),
        Index("ix_crm_case_resolution_due_at", "resolution_due_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CaseStatus] = mapped_column(
        text_enum(CaseStatus, length=20), default=CaseStatus.NEW
    )
    priority: Mapped[CasePriority] = mapped_column(
        text_enum(CasePriority, length=20), default=CasePriority.NORMAL
    )
    channel: Mapped[CaseChannel] = mapped_column(
        text_enum(CaseChannel, length=20), default=CaseChannel.PHONE
    )
    category: Mapped[str | None] = mapped_column(String(64))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    asset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("asset.id", ondelete="SET NULL"), index=True
    )
    serial_number: Mapped[str | None] = mapped_column(String(100))
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer_order.id", ondelete="SET NULL"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    sla_policy_id: Mapped[uuid.UUID | None]
    """The SLA policy applied (no foreign key: deleting a policy clears it on its cases)."""
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_response_warn_at: Mapped[datetime | None]
    resolution_warn_at: Mapped[datetime | None]
    """When the warning is due: ``warn_before_minutes`` working minutes before the target."""
    sla_paused_at: Mapped[datetime | None]
    """Since when the SLA clock is stopped (the case waits on the customer)."""
    sla_paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    """Working seconds the clock was stopped; the due times are pushed back by as much."""
    first_response_warned_at: Mapped[datetime | None]
    resolution_warned_at: Mapped[datetime | None]
    first_response_breached_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crm_case.id", ondelete="SET NULL"), index=True
    )
    """The case this duplicate was merged into (it is closed and its conversation moved)."""


class CaseMessage(IdMixin, Base):
    """One message of a case's conversation: the customer's, a public reply or a note."""

    __tablename__ = "crm_case_message"
    __table_args__ = (Index("ix_crm_case_message_case_id_created_at", "case_id", "created_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crm_case.id", ondelete="CASCADE"))
    kind: Mapped[CaseMessageKind] = mapped_column(text_enum(CaseMessageKind))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    author_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    """The Message-ID of the e-mail this message came in (threading, redelivery)."""
    outbound_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    """The core message that carried a public reply to the customer (status, threading)."""


class CaseAttachment(IdMixin, Base):
    """Metadata of a file attached to a case (the bytes live in the file store at ``url``)."""

    __tablename__ = "crm_case_attachment"
    __table_args__ = (Index("ix_crm_case_attachment_case_id_created_at", "case_id", "created_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crm_case.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crm_case_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    url: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseStatusChange(IdMixin, Base):
    """One status change of a case, for its history and the time spent in each status."""

    __tablename__ = "crm_case_status_change"
    __table_args__ = (
        Index("ix_crm_case_status_change_case_id_changed_at", "case_id", "changed_at"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crm_case.id", ondelete="CASCADE"))
    from_status: Mapped[CaseStatus | None] = mapped_column(text_enum(CaseStatus, length=20))
    to_status: Mapped[CaseStatus] = mapped_column(text_enum(CaseStatus, length=20))
    changed_by: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Macro(IdMixin, Base):
    """A canned response: a reply template with variables (``{{customer.first_name}}``,
    ``{{case.subject}}``, ``{{agent.name}}``) and the fields applying it sets on the case."""

    __tablename__ = "crm_macro"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[str] = mapped_column(Text)
    set_status: Mapped[CaseStatus | None] = mapped_column(text_enum(CaseStatus, length=20))
    set_priority: Mapped[CasePriority | None] = mapped_column(text_enum(CasePriority, length=20))
    set_category: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NpsSurvey(IdMixin, Base):
    """A Net Promoter Score survey sent to a customer: how likely they are to recommend us,
    0-10, answered once through its signed link."""

    __tablename__ = "crm_nps_survey"
    __table_args__ = (
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 10)", name="score_in_range"),
        Index("ix_crm_nps_survey_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_crm_nps_survey_answered_at", "answered_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)


class ChurnRisk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class CustomerValue(Base):
    """A customer's RFM scores, lifetime value and churn risk, recomputed by the job
    ``crm.customer_values`` from core orders placed in the installation's currency.

    Scores are quintiles among the customers who bought (5 is best): ``recency_score`` the
    most recent buyers, ``frequency_score`` the most orders, ``monetary_score`` the most spent.
    """

    __tablename__ = "crm_customer_value"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    orders: Mapped[int]
    first_order_at: Mapped[datetime]
    last_order_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    historic_value: Mapped[Decimal]
    predicted_value: Mapped[Decimal]
    recency_score: Mapped[int]
    frequency_score: Mapped[int]
    monetary_score: Mapped[int]
    churn_risk: Mapped[ChurnRisk] = mapped_column(text_enum(ChurnRisk, length=10), index=True)
    lapsed: Mapped[bool] = mapped_column(index=True)
    """No order for ``retention.LAPSED_DAYS`` days: a win-back target."""
    computed_at: Mapped[datetime]


class ReminderKind(StrEnum):
    REPURCHASE = "repurchase"
    """Buy the product again ``interval_days`` after the last purchase of it."""
    MAINTENANCE = "maintenance"
    """Service an owned item every ``interval_days`` from its purchase date."""


class ReminderRule(IdMixin, Base):
    """How often customers are reminded about a product: one rule per product and kind."""

    __tablename__ = "crm_reminder_rule"
    __table_args__ = (
        CheckConstraint("interval_days > 0", name="interval_positive"),
        Index("uq_crm_reminder_rule_product_id_kind", "product_id", "kind", unique=True),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(text_enum(ReminderKind, length=20))
    interval_days: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackCategory(IdMixin, Base):
    """A voice-of-the-customer category: what customers talk about (``key``, e.g.
    ``delivery``), found in their words by ``keywords`` (Thai or English, matched anywhere in
    the text, case-insensitive) or given by hand as a case's category."""

    __tablename__ = "crm_feedback_category"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BusinessHours(IdMixin, Base):
    """One working interval of a weekday (Monday is 0) in the business time zone; an end not
    after the start runs overnight into the next day."""

    __tablename__ = "crm_business_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_in_week"),
        Index("ix_crm_business_hours_weekday", "weekday"),
    )

    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time())
    end_time: Mapped[time] = mapped_column(Time())


class Holiday(Base):
    """A day without working hours (the intervals starting on it are cancelled)."""

    __tablename__ = "crm_holiday"

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class SlaPolicy(IdMixin, Base):
    """Targets in working minutes for the cases of a priority and/or a category (None: any).

    ``scope_key`` (``priority|category``, ``*`` for any) is unique: one policy per pair. The
    most specific policy applies: priority and category, then category, then priority, then
    the default (neither).
    """

    __tablename__ = "crm_sla_policy"
    __table_args__ = (
        CheckConstraint("first_response_minutes > 0", name="first_response_positive"),
        CheckConstraint("resolution_minutes > 0", name="resolution_positive"),
        CheckConstraint("warn_before_minutes >= 0", name="warn_before_not_negative"),
    )

    scope_key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[CasePriority | None] = mapped_column(text_enum(CasePriority, length=20))
    category: Mapped[str | None] = mapped_column(String(64))
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    warn_before_minutes: Mapped[int] = mapped_column(default=60)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VisitStatus(StrEnum):
    SCHEDULED = "scheduled"
    EN_ROUTE = "en_route"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class TechnicianVisit(IdMixin, Base):
    """A case handed off to a technician team: the core booking of the technician's time in
    the window the customer preferred, the visit's progress and its report."""

    __tablename__ = "crm_technician_visit"
    __table_args__ = (Index("ix_crm_technician_visit_case_id_created_at", "case_id", "created_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crm_case.id", ondelete="CASCADE"))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("booking.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    technician_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    preferred_from: Mapped[datetime]
    preferred_until: Mapped[datetime]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[VisitStatus] = mapped_column(
        text_enum(VisitStatus, length=20), default=VisitStatus.SCHEDULED
    )
    report: Mapped[str | None] = mapped_column(Text)
    customer_notified_by: Mapped[str | None] = mapped_column(String(32))
    """The channel the customer was told of the appointment on; None when no channel allowed."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyKind(StrEnum):
    CSAT = "csat"


class Survey(IdMixin, Base):
    """A satisfaction survey sent after a case is resolved, answered once through its signed
    link (``score`` 1-5)."""

    __tablename__ = "crm_survey"
    __table_args__ = (
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_in_range"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crm_case.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[SurveyKind] = mapped_column(text_enum(SurveyKind), default=SurveyKind.CSAT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
