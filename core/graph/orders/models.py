from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum


class OrderSource(StrEnum):
    POS = "pos"
    ECOMMERCE = "ecommerce"
    MANUAL = "manual"
    IMPORT = "import"


class OrderStatus(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Order(IdMixin, TimestampMixin, Base):
    """An order or purchase of one customer; ``total`` is the sum of its lines.

    ``(source, external_id)`` is unique: a POS or shop retrying the same order gets the first
    one back. Orders without an external id (manual entry) never collide (NULLs are distinct).
    """

    __tablename__ = "customer_order"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_customer_order_customer_placed", "customer_id", "placed_at", "id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="RESTRICT"))
    source: Mapped[OrderSource] = mapped_column(text_enum(OrderSource))
    external_id: Mapped[str | None] = mapped_column(String(100))
    store_code: Mapped[str | None] = mapped_column(String(32), index=True)
    placed_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal]
    status: Mapped[OrderStatus] = mapped_column(text_enum(OrderStatus), default=OrderStatus.PLACED)


class OrderLine(IdMixin, Base):
    """One line of an order. SKU and name are copied from the product when the order is placed,
    so renaming a product never rewrites history."""

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    position: Mapped[int]
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
    modifiers: Mapped[list] = mapped_column(default=list)
