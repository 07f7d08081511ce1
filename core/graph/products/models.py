from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin


class Product(IdMixin, TimestampMixin, Base):
    """A product or service that can be sold.

    ``category`` is a slash-separated path (``food/noodles``); filtering by ``food`` matches
    the category and everything under it through an index range on the column.
    """

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_product_name_id", "name", "id"),
    )

    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    price: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(Text)
    warranty_months: Mapped[int | None]
    """The warranty an asset of this product gets from its purchase date (docs/assets.md)."""
