from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum


class AssetStatus(StrEnum):
    ACTIVE = "active"
    RETURNED = "returned"
    REPLACED = "replaced"
    DISPOSED = "disposed"


class Asset(IdMixin, TimestampMixin, Base):
    """A product a customer owns: one physical item, identified by its serial number.

    ``(product_id, serial_number)`` is unique, so one device is registered once (assets
    without a serial number never collide). ``customer_id`` is cleared when the customer is
    erased: the asset stays for warranty and recall records, no longer tied to a person.
    ``warranty_notice_days`` is the smallest reminder threshold already announced for the
    current ``warranty_end`` (docs/assets.md).
    """

    __tablename__ = "asset"
    __table_args__ = (
        UniqueConstraint("product_id", "serial_number"),
        Index("ix_asset_customer_id_id", "customer_id", "id"),
        Index("ix_asset_warranty_end_id", "warranty_end", "id"),
    )

    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL")
    )
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    serial_number: Mapped[str | None] = mapped_column(String(100))
    purchase_date: Mapped[date]
    warranty_end: Mapped[date | None]
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer_order.id", ondelete="SET NULL"), index=True
    )
    order_line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("order_line.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[AssetStatus] = mapped_column(
        text_enum(AssetStatus, length=20), default=AssetStatus.ACTIVE
    )
    location: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    warranty_notice_days: Mapped[int | None]
