from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum


class EmailLabel(StrEnum):
    WORK = "work"
    HOME = "home"
    OTHER = "other"


class PhoneLabel(StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"


class AddressLabel(StrEnum):
    HOME = "home"
    WORK = "work"
    BILLING = "billing"
    SHIPPING = "shipping"
    OTHER = "other"


def one_primary(table: str) -> Index:
    """At most one primary row of a kind per customer: a partial unique index."""
    return Index(
        f"uq_{table}_primary",
        "customer_id",
        unique=True,
        sqlite_where=text("is_primary"),
        postgresql_where=text("is_primary"),
    )


class CustomerEmail(IdMixin, TimestampMixin, Base):
    """An email address of a customer, stored normalized (see ``services.normalize_email``)."""

    __tablename__ = "customer_email"
    __table_args__ = (
        UniqueConstraint("customer_id", "address"),
        Index("ix_customer_email_address", "address"),
        one_primary("customer_email"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    label: Mapped[EmailLabel] = mapped_column(text_enum(EmailLabel), default=EmailLabel.OTHER)
    is_primary: Mapped[bool] = mapped_column(default=False)
    is_verified: Mapped[bool] = mapped_column(default=False)


class CustomerPhone(IdMixin, TimestampMixin, Base):
    """A phone number of a customer in E.164 form (``+66812345678``)."""

    __tablename__ = "customer_phone"
    __table_args__ = (
        UniqueConstraint("customer_id", "number"),
        Index("ix_customer_phone_number", "number"),
        one_primary("customer_phone"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    label: Mapped[PhoneLabel] = mapped_column(text_enum(PhoneLabel), default=PhoneLabel.MOBILE)
    is_primary: Mapped[bool] = mapped_column(default=False)
    is_verified: Mapped[bool] = mapped_column(default=False)


class CustomerAddress(IdMixin, TimestampMixin, Base):
    """A postal address in Thai structure.

    ``line1`` holds the house number, building and street (soi, road); ``sub_district`` is the
    tambon or khwaeng, ``district`` the amphoe or khet. Addresses abroad use the same columns.
    """

    __tablename__ = "customer_address"
    __table_args__ = (
        Index("ix_customer_address_customer_id", "customer_id"),
        one_primary("customer_address"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    line1: Mapped[str] = mapped_column(String(300))
    line2: Mapped[str | None] = mapped_column(String(300))
    sub_district: Mapped[str | None] = mapped_column(String(150))
    district: Mapped[str | None] = mapped_column(String(150))
    province: Mapped[str | None] = mapped_column(String(150))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2), default="TH")
    label: Mapped[AddressLabel] = mapped_column(text_enum(AddressLabel), default=AddressLabel.HOME)
    is_primary: Mapped[bool] = mapped_column(default=False)
