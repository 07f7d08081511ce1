from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum, utcnow


class PreferredChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    LINE = "line"
    POST = "post"
    IN_PERSON = "in_person"


class NoteKind(StrEnum):
    DIETARY = "dietary"
    ALLERGY = "allergy"
    RESTRICTION = "restriction"
    OTHER = "other"


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class CustomerPreference(TimestampMixin, Base):
    """How a customer likes to be served and contacted; one row per customer.

    ``contact_windows`` is a list of ``{"weekday": 0-6 (Monday 0), "start": "HH:MM",
    "end": "HH:MM"}`` in the business time zone.
    """

    __tablename__ = "customer_preference"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    preferred_channel: Mapped[PreferredChannel | None] = mapped_column(
        text_enum(PreferredChannel, length=20)
    )
    preferred_language: Mapped[str | None] = mapped_column(String(16))
    preferred_store_code: Mapped[str | None] = mapped_column(String(32))
    contact_windows: Mapped[list] = mapped_column(default=list)


class PreferenceNote(IdMixin, Base):
    """A dietary, allergy or other note on a customer ("no coriander", "peanut allergy").

    ``sensitive`` notes (every allergy, and health restrictions flagged so) are personal data
    of the sensitive class. ``text_key`` is the case-folded text: a customer has each note of
    a kind once, also after a merge.
    """

    __tablename__ = "preference_note"
    __table_args__ = (UniqueConstraint("customer_id", "kind", "text_key"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[NoteKind] = mapped_column(text_enum(NoteKind, length=20))
    text: Mapped[str] = mapped_column(String(300))
    text_key: Mapped[str] = mapped_column(String(300))
    severity: Mapped[Severity | None] = mapped_column(text_enum(Severity, length=20))
    sensitive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
