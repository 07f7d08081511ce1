from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import text_enum


class DocumentKind(StrEnum):
    TAX_INVOICE = "tax_invoice"
    RECEIPT = "receipt"
    CREDIT_NOTE = "credit_note"


class DocumentCounter(Base):
    """The last number issued per branch, document kind and year.

    Issuing increments it in the same transaction as the document it numbers, so the row lock
    orders concurrent issues and a rolled-back issue gives its number back: no gaps.
    """

    __tablename__ = "document_counter"

    store_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("store.id", ondelete="RESTRICT"), primary_key=True
    )
    kind: Mapped[DocumentKind] = mapped_column(text_enum(DocumentKind), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Invoice(IdMixin, Base):
    """A tax invoice, receipt or credit note; issued documents are never changed or voided.

    Amounts: ``total`` includes VAT, ``subtotal`` excludes it, ``vat`` is the difference.
    ``credited`` is what credit notes have refunded of it so far (never above ``total``).
    The buyer columns are the snapshot a Thai full tax invoice must show; ``customer_id`` is
    cleared when the customer is erased, the tax record stays (docs/invoices.md).
    """

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("store_id", "kind", "year", "sequence"),
        Index(
            "uq_invoice_order_kind",
            "order_id",
            "kind",
            unique=True,
            sqlite_where=text("original_id IS NULL"),
            postgresql_where=text("original_id IS NULL"),
        ),
        Index("ix_invoice_customer_issued", "customer_id", "issued_at", "id"),
        Index("ix_invoice_issued", "issued_at", "id"),
        CheckConstraint("credited >= 0 AND credited <= total", name="credited_within_total"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    kind: Mapped[DocumentKind] = mapped_column(text_enum(DocumentKind))
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="RESTRICT"))
    year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer_order.id", ondelete="RESTRICT"), index=True
    )
    original_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL")
    )
    issued_at: Mapped[datetime]
    issued_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[Decimal]
    prices_include_vat: Mapped[bool]
    subtotal: Mapped[Decimal]
    vat: Mapped[Decimal]
    total: Mapped[Decimal]
    credited: Mapped[Decimal] = mapped_column(default=Decimal(0))
    reason: Mapped[str | None] = mapped_column(String(300))
    buyer_name: Mapped[str | None] = mapped_column(String(300))
    buyer_tax_id: Mapped[str | None] = mapped_column(String(32))
    buyer_branch: Mapped[str | None] = mapped_column(String(60))
    buyer_address: Mapped[str | None] = mapped_column(String(1200))
    erased_at: Mapped[datetime | None]


class InvoiceLine(IdMixin, Base):
    """A line of a document, copied from the order line (or the amount a credit note refunds)."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int]
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
