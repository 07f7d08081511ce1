from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class CompanyContact(IdMixin, Base):
    """A person's link to a company: their role there, and whether they are its main contact."""

    __tablename__ = "company_contact"
    __table_args__ = (UniqueConstraint("person_id", "company_id"),)

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(150))
    is_primary: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Household(IdMixin, Base):
    """People who live together and are marketed to as one (one mailing, shared points)."""

    __tablename__ = "household"

    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdMember(Base):
    """A person's membership of a household; a person belongs to at most one."""

    __tablename__ = "household_member"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    is_head: Mapped[bool] = mapped_column(default=False)
