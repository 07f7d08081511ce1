from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import text_enum, utcnow


class ConsentPurpose(StrEnum):
    MARKETING = "marketing"
    PROFILING = "profiling"
    DATA_SHARING = "data_sharing"


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    LINE = "line"
    POST = "post"
    ANY = "any"


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentSource(StrEnum):
    WEB_FORM = "web_form"
    POS = "pos"
    IMPORT = "import"
    STAFF = "staff"
    API = "api"
    UNSUBSCRIBE_LINK = "unsubscribe_link"


class ConsentEvent(IdMixin, Base):
    """One grant or withdrawal, as it happened. Append-only: never updated, never deleted.

    ``occurred_at`` is when the customer gave or withdrew consent (an import may bring old
    events); ``recorded_at`` is when UniCRM learned of it.
    """

    __tablename__ = "consent_event"
    __table_args__ = (
        Index("ix_consent_event_customer_history", "customer_id", "occurred_at", "id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(text_enum(ConsentPurpose, length=20))
    channel: Mapped[ConsentChannel] = mapped_column(text_enum(ConsentChannel, length=20))
    status: Mapped[ConsentStatus] = mapped_column(text_enum(ConsentStatus, length=20))
    source: Mapped[ConsentSource] = mapped_column(text_enum(ConsentSource, length=20))
    policy_version: Mapped[str | None] = mapped_column(String(50))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[dict | None]


class ConsentState(Base):
    """The current status per customer, purpose and channel: the latest event by occurred_at.

    Kept in the transaction that records each event, so asking whether a customer may be
    contacted is one primary-key lookup.
    """

    __tablename__ = "consent_state"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[ConsentPurpose] = mapped_column(
        text_enum(ConsentPurpose, length=20), primary_key=True
    )
    channel: Mapped[ConsentChannel] = mapped_column(
        text_enum(ConsentChannel, length=20), primary_key=True
    )
    status: Mapped[ConsentStatus] = mapped_column(text_enum(ConsentStatus, length=20))
    occurred_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("consent_event.id", ondelete="CASCADE"), index=True
    )
