from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum, utcnow


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
    half_life_days: Mapped[int | None]
    """The model's half-life when ``value`` was computed: how the explanation decays points."""


class EngagementKind(StrEnum):
    PAGE_VIEW = "page_view"
    CUSTOM = "custom"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    FORM_SUBMIT = "form_submit"


class Visitor(Base):
    """A browser known by the visitor id of its ``ucrm_vid`` cookie; ``customer_id`` is set
    once the visitor identifies (a form, a click in an e-mail)."""

    __tablename__ = "ma_visitor"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    identified_at: Mapped[datetime | None]


class TrackingEvent(IdMixin, Base):
    """One page view, custom event, e-mail open or click, or form fill. Append-only.

    ``bot`` marks what a machine did (a mail scanner, a prefetching proxy, a crawler): kept
    for the record, never counted as engagement.
    """

    __tablename__ = "ma_tracking_event"
    __table_args__ = (
        Index("ix_ma_tracking_event_customer", "customer_id", "kind", "occurred_at"),
        Index("ix_ma_tracking_event_visitor", "visitor_id", "occurred_at"),
        Index("ix_ma_tracking_event_message", "message_id", "kind"),
    )

    kind: Mapped[EngagementKind] = mapped_column(text_enum(EngagementKind, length=20))
    visitor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ma_visitor.id", ondelete="CASCADE")
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE")
    )
    url: Mapped[str | None] = mapped_column(String(2000))
    name: Mapped[str | None] = mapped_column(String(100))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL")
    )
    bot: Mapped[bool] = mapped_column(default=False)
    bot_reason: Mapped[str | None] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrackedLink(IdMixin, Base):
    """A link of a sent message, behind its ``/t/c/{token}`` click address: the only URLs a
    click may redirect to."""

    __tablename__ = "ma_tracked_link"
    __table_args__ = (UniqueConstraint("message_id", "url"),)

    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))


class Form(IdMixin, TimestampMixin, Base):
    """A marketer's web form: fields mapped to customer attributes, consent checkboxes.

    ``fields``: ``[{"name", "label", "attribute", "required"}]`` (``attribute`` one of
    ``FORM_ATTRIBUTES`` or null to keep the answer with the submission only); ``consents``:
    ``[{"name", "label", "purpose", "channel", "required"}]``; a ticked box grants its consent
    under ``policy_version``, the privacy notice the form shows.
    """

    __tablename__ = "ma_form"

    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    fields: Mapped[list] = mapped_column(default=list)
    consents: Mapped[list] = mapped_column(default=list)
    policy_version: Mapped[str | None] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(default=True)
    submissions_per_minute: Mapped[int] = mapped_column(default=10)


class FormSubmission(IdMixin, Base):
    """One accepted submission: the answers, the consents granted, the lead outcome."""

    __tablename__ = "ma_form_submission"
    __table_args__ = (
        Index("ix_ma_form_submission_form", "form_id", "submitted_at"),
        Index("ix_ma_form_submission_customer", "customer_id", "submitted_at"),
    )

    form_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ma_form.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    visitor_id: Mapped[uuid.UUID | None]
    answers: Mapped[dict] = mapped_column(default=dict)
    consents: Mapped[list] = mapped_column(default=list)
    outcome: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoringModel(IdMixin, TimestampMixin, Base):
    """A marketer's lead scoring model: rules, a qualifying threshold, a decay half-life.

    At most one model is active; it scores every customer. ``rules`` is a list of
    ``{"key", "name", "kind": "profile" | "behaviour", "points", "cap", ...}``: a profile rule
    tests ``attribute`` with ``op`` and ``value``; a behaviour rule counts tracked hits of
    ``event`` (optionally whose URL contains ``url_contains`` or named ``name``).
    """

    __tablename__ = "ma_scoring_model"

    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    threshold: Mapped[int]
    half_life_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=False)
    rules: Mapped[list] = mapped_column(default=list)


class ScoreChange(IdMixin, Base):
    """One change of a customer's score, with its reason. Append-only.

    ``source`` names what caused it (``event:<tracking event id>`` for a behaviour rule, so a
    hit is scored once per rule; ``profile:<id>`` for a profile rule starting or stopping to
    match).
    """

    __tablename__ = "ma_score_change"
    __table_args__ = (
        UniqueConstraint("customer_id", "model", "rule", "source"),
        Index("ix_ma_score_change_customer", "customer_id", "model", "at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(100))
    points: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"


class Campaign(IdMixin, TimestampMixin, Base):
    """A send of a core template to the members of a core segment or list, through core
    messaging, in throttled batches. With ``variant_template_key`` the audience is split
    between two templates (an A/B test of subject or content)."""

    __tablename__ = "ma_campaign"

    name: Mapped[str] = mapped_column(String(200))
    segment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("segment.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(40))
    template_key: Mapped[str] = mapped_column(String(100))
    variant_template_key: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[CampaignStatus] = mapped_column(
        text_enum(CampaignStatus), default=CampaignStatus.DRAFT
    )
    send_at: Mapped[datetime | None]
    per_minute: Mapped[int] = mapped_column(default=100)


class CampaignRecipient(IdMixin, Base):
    """One customer of a campaign: the variant they got and the message core recorded."""

    __tablename__ = "ma_campaign_recipient"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ma_campaign.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    variant: Mapped[str] = mapped_column(String(1))
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
