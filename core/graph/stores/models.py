from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin


class Store(IdMixin, TimestampMixin, Base):
    """A store or branch. ``code`` is the value orders carry in ``store_code``.

    The address has the columns of a customer address (Thai structure); ``province_code`` and
    ``region`` are derived from the province so lists can filter on them. ``opening_hours`` is
    a list of ``{"day": 0-6 (Monday=0), "opens": "HH:MM", "closes": "HH:MM"}``; a day without
    an interval is closed and an interval closing at or before it opens runs past midnight.
    ``tax_branch`` is the branch number printed on tax invoices (``00000``: head office).
    """

    __tablename__ = "store"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(300))
    line2: Mapped[str | None] = mapped_column(String(300))
    sub_district: Mapped[str | None] = mapped_column(String(150))
    district: Mapped[str | None] = mapped_column(String(150))
    province: Mapped[str | None] = mapped_column(String(150))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2), default="TH")
    province_code: Mapped[str | None] = mapped_column(String(8), index=True)
    region: Mapped[str | None] = mapped_column(String(16), index=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    opening_hours: Mapped[list] = mapped_column(default=list)
    timezone: Mapped[str] = mapped_column(String(64))
    tax_branch: Mapped[str] = mapped_column(String(5), default="00000")
    active: Mapped[bool] = mapped_column(default=True)


class StoreStaff(Base):
    """A user working at a store: store staff book and check in at their own stores."""

    __tablename__ = "store_staff"

    store_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("store.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
