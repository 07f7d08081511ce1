"""Issuing tax invoices, receipts and credit notes from orders.

Numbers are sequential per branch, document kind and year with no gaps: the counter row is
incremented in the transaction that inserts the document, so concurrent issues queue on its
row lock and a rolled-back issue hands its number back. Amounts follow Thai practice
(docs/invoices.md): retail prices include VAT, VAT is computed once on the document total
and rounded half up to the satang.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.events.types import CreditNoteIssued, InvoiceIssued
from unicrm.core.graph.contacts.models import CustomerAddress
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.invoices.models import DocumentCounter, DocumentKind, Invoice, InvoiceLine
from unicrm.core.graph.orders.models import Order, OrderLine, OrderStatus
from unicrm.core.graph.stores.models import Store

SATANG = Decimal("0.01")
PREFIX = {
    DocumentKind.TAX_INVOICE: "TI",
    DocumentKind.RECEIPT: "RC",
    DocumentKind.CREDIT_NOTE: "CN",
}


@dataclass(frozen=True, slots=True)
class Tax:
    """The installation's VAT rule, from settings (``commerce.vat_rate``...)."""

    rate: Decimal
    prices_include_vat: bool


@dataclass(frozen=True, slots=True)
class Buyer:
    """What the buyer asks to have printed; None takes it from the customer's record."""

    name: str | None = None
    tax_id: str | None = None
    branch: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class IssueData:
    order_id: uuid.UUID
    kind: DocumentKind
    store_id: uuid.UUID | None = None
    store_code: str | None = None
    buyer: Buyer = Buyer()


@dataclass(frozen=True, slots=True)
class Amounts:
    subtotal: Decimal
    vat: Decimal
    total: Decimal


def split_vat(amount: Decimal, rate: Decimal, includes_vat: bool) -> Amounts:
    """Subtotal, VAT and total of ``amount``, each to the satang (half up).

    VAT-inclusive: VAT = amount x rate / (1 + rate) and the subtotal is the rest, so the
    three always add up to what the customer paid. VAT-exclusive: VAT = amount x rate.
    """
    amount = amount.quantize(SATANG, rounding=ROUND_HALF_UP)
    if includes_vat:
        vat = (amount * rate / (1 + rate)).quantize(SATANG, rounding=ROUND_HALF_UP)
        return Amounts(amount - vat, vat, amount)
    vat = (amount * rate).quantize(SATANG, rounding=ROUND_HALF_UP)
    return Amounts(amount, vat, amount + vat)


def customer_scope(ctx: Any, action: str = "read") -> ColumnElement[bool] | None:
    """The customers whose documents the actor may see or issue: their ``core.invoice`` scope
    (own, department, all) applied to the customer's owner and department."""
    return visible(
        ctx,
        "core.invoice",
        owner=Customer.owner_id,
        department=Customer.department_id,
        action=action,
    )


def visible_invoices(ctx: Any) -> ColumnElement[bool] | None:
    """The documents the actor may read, as a predicate on ``invoice``."""
    predicate = customer_scope(ctx)
    if predicate is None:
        return None
    return Invoice.customer_id.in_(select(Customer.id).where(predicate))


async def _in_scope(
    session: AsyncSession, customer_id: uuid.UUID | None, scope: ColumnElement[bool] | None
) -> bool:
    if scope is None:
        return True
    stmt = select(Customer.id).where(Customer.id == customer_id, scope)
    return await session.scalar(stmt) is not None


async def next_number(
    session: AsyncSession, store_id: uuid.UUID, kind: DocumentKind, year: int
) -> int:
    """The next number of the branch's ``kind`` documents of ``year``, taken in this
    transaction: the counter row stays locked until it commits or rolls back."""
    bump = (
        update(DocumentCounter)
        .where(
            DocumentCounter.store_id == store_id,
            DocumentCounter.kind == kind,
            DocumentCounter.year == year,
        )
        .values(last_number=DocumentCounter.last_number + 1)
        .returning(DocumentCounter.last_number)
    )
    number = await session.scalar(bump)
    if number is None:
        first = {"store_id": store_id, "kind": kind, "year": year, "last_number": 0}
        await _insert_or_skip(session, DocumentCounter, first)
        number = await session.scalar(bump)
    assert number is not None
    return number


async def _insert_or_skip(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on any unique key; True if the row went in."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values).on_conflict_do_nothing()
    result = cast("CursorResult[Any]", await session.execute(stmt))
    return result.rowcount == 1


async def _store(session: AsyncSession, data: IssueData, order: Order) -> Store:
    if data.store_id is not None:
        stmt, field = select(Store).where(Store.id == data.store_id), "store_id"
    else:
        code = (data.store_code or order.store_code or "").strip()
        if not code:
            raise DomainError.single(
                "REQUIRED", "the order has no store: name the issuing branch", "store_id"
            )
        stmt, field = select(Store).where(Store.code == code), "store_code"
    store = await session.scalar(stmt)
    if store is None:
        raise DomainError.single("NOT_FOUND", "no such store", field)
    if not store.active:
        raise DomainError.single("INACTIVE_STORE", f"store {store.code} is closed", field)
    return store


def _address_text(row: CustomerAddress | None) -> str | None:
    if row is None:
        return None
    parts = (row.line1, row.line2, row.sub_district, row.district, row.province, row.postal_code)
    text = " ".join(p for p in parts if p)
    return text if row.country == "TH" else f"{text} {row.country}"


async def _buyer(
    session: AsyncSession, kind: DocumentKind, customer: Customer, given: Buyer
) -> dict[str, str | None]:
    """The buyer snapshot. A full tax invoice must name the buyer and their address
    (Revenue Code s. 86/4); a receipt needs neither."""
    address = given.address
    if address is None:
        primary = await session.scalar(
            select(CustomerAddress)
            .where(CustomerAddress.customer_id == customer.id)
            .order_by(CustomerAddress.is_primary.desc(), CustomerAddress.created_at)
            .limit(1)
        )
        address = _address_text(primary)
    snapshot = {
        "buyer_name": _clean(given.name) or customer.display_name or None,
        "buyer_tax_id": _clean(given.tax_id) or customer.tax_id,
        "buyer_branch": _clean(given.branch),
        "buyer_address": _clean(address),
    }
    errors: list[FieldError] = []
    limits = {"buyer_name": 300, "buyer_tax_id": 32, "buyer_branch": 60, "buyer_address": 1200}
    for key, limit in limits.items():
        value = snapshot[key]
        if value is not None and len(value) > limit:
            errors.append(FieldError("TOO_LONG", f"at most {limit} characters", _at(key)))
    if kind is DocumentKind.TAX_INVOICE:
        for key in ("buyer_name", "buyer_address"):
            if snapshot[key] is None:
                errors.append(
                    FieldError(
                        "REQUIRED", "a tax invoice needs the buyer's name and address", _at(key)
                    )
                )
    if errors:
        raise DomainError(*errors)
    return snapshot


def _at(key: str) -> str:
    return "buyer." + key.removeprefix("buyer_")


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value is not None else None


def _issuer(session: AsyncSession) -> uuid.UUID | None:
    actor = session.info.get("actor")
    return getattr(actor, "user_id", None)


async def _insert(
    session: AsyncSession, values: dict[str, Any], lines: list[InvoiceLine]
) -> Invoice:
    """Insert the document; a number or order already taken is a typed error, never a
    duplicate (the unique keys decide, also under concurrency)."""
    if not await _insert_or_skip(session, Invoice, values):
        if values["original_id"] is None:
            taken = await session.scalar(
                select(Invoice.number).where(
                    Invoice.order_id == values["order_id"],
                    Invoice.kind == values["kind"],
                    Invoice.original_id.is_(None),
                )
            )
            if taken is not None:
                raise DomainError.single(
                    "ALREADY_ISSUED", f"the order already has {taken}", "order_id"
                )
        raise DomainError.single(
            "NUMBER_COLLISION", f"number {values['number']} is already used", None
        )
    for line in lines:
        line.invoice_id = values["id"]
    session.add_all(lines)
    await session.flush()
    return await session.get_one(Invoice, values["id"])


async def _numbered(
    session: AsyncSession, store: Store, kind: DocumentKind, at: datetime
) -> dict[str, Any]:
    year = at.astimezone(ZoneInfo(store.timezone)).year
    sequence = await next_number(session, store.id, kind, year)
    return {
        "kind": kind,
        "store_id": store.id,
        "year": year,
        "sequence": sequence,
        "number": f"{store.code}-{PREFIX[kind]}{year}-{sequence:06d}",
    }


async def issue_invoice(
    session: AsyncSession, data: IssueData, tax: Tax, scope: ColumnElement[bool] | None = None
) -> Invoice:
    """Issue a tax invoice or receipt for an order, with the order's lines and total."""
    if data.kind is DocumentKind.CREDIT_NOTE:
        raise DomainError.single("INVALID", "credit notes are issued against an invoice", "kind")
    order = await session.scalar(select(Order).where(Order.id == data.order_id))
    if order is None or not await _in_scope(session, order.customer_id, scope):
        raise DomainError.single("NOT_FOUND", "no such order", "order_id")
    if order.status is not OrderStatus.PLACED:
        raise DomainError.single("INVALID_STATE", f"the order is {order.status.value}", "order_id")
    store = await _store(session, data, order)
    customer = await session.get_one(Customer, order.customer_id)
    buyer = await _buyer(session, data.kind, customer, data.buyer)
    amounts = split_vat(order.total, tax.rate, tax.prices_include_vat)
    order_lines = (
        await session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        )
    ).all()
    now = utcnow()
    values = {
        "id": uuid7(),
        **await _numbered(session, store, data.kind, now),
        "order_id": order.id,
        "original_id": None,
        "customer_id": order.customer_id,
        "issued_at": now,
        "issued_by": _issuer(session),
        "currency": order.currency,
        "vat_rate": tax.rate,
        "prices_include_vat": tax.prices_include_vat,
        "subtotal": amounts.subtotal,
        "vat": amounts.vat,
        "total": amounts.total,
        "credited": Decimal(0),
        "reason": None,
        **buyer,
        "erased_at": None,
    }
    lines = [
        InvoiceLine(
            id=uuid7(),
            position=line.position,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
        )
        for line in order_lines
    ]
    invoice = await _insert(session, values, lines)
    emit(
        session,
        "invoice.issued",
        InvoiceIssued(
            invoice_id=str(invoice.id),
            number=invoice.number,
            kind=invoice.kind.value,
            store_code=store.code,
            order_id=str(order.id),
            currency=invoice.currency,
            subtotal=str(invoice.subtotal),
            vat=str(invoice.vat),
            total=str(invoice.total),
        ),
        customer_id=invoice.customer_id,
    )
    return invoice


async def issue_credit_note(
    session: AsyncSession,
    invoice_id: uuid.UUID,
    amount: Decimal,
    reason: str,
    scope: ColumnElement[bool] | None = None,
) -> Invoice:
    """Refund ``amount`` (VAT included) of an invoice or receipt with a credit note.

    The original's ``credited`` is raised by a conditional UPDATE, so credit notes issued
    at the same time can never refund more than the original's total.
    """
    errors: list[FieldError] = []
    reason = " ".join(reason.split())
    if not reason:
        errors.append(FieldError("REQUIRED", "say why the amount is refunded", "reason"))
    elif len(reason) > 300:
        errors.append(FieldError("TOO_LONG", "at most 300 characters", "reason"))
    if amount <= 0 or amount != amount.quantize(SATANG):
        errors.append(FieldError("INVALID", "a positive amount in whole satang", "amount"))
    if errors:
        raise DomainError(*errors)
    original = await session.scalar(select(Invoice).where(Invoice.id == invoice_id))
    if (
        original is None
        or original.kind is DocumentKind.CREDIT_NOTE
        or not await _in_scope(session, original.customer_id, scope)
    ):
        raise DomainError.single("NOT_FOUND", "no such invoice or receipt", "invoice_id")
    credited = cast(
        "CursorResult[Any]",
        await session.execute(
            update(Invoice)
            .where(Invoice.id == original.id, Invoice.credited + amount <= Invoice.total)
            .values(credited=Invoice.credited + amount)
            .execution_options(synchronize_session=False)
        ),
    )
    if credited.rowcount != 1:
        await session.refresh(original)
        remaining = original.total - original.credited
        raise DomainError.single(
            "EXCEEDS_REMAINING",
            f"only {remaining:.2f} {original.currency} of {original.number} is left to refund",
            "amount",
        )
    await session.refresh(original)
    store = await session.get_one(Store, original.store_id)
    amounts = split_vat(amount, original.vat_rate, True)
    now = utcnow()
    values = {
        "id": uuid7(),
        **await _numbered(session, store, DocumentKind.CREDIT_NOTE, now),
        "order_id": original.order_id,
        "original_id": original.id,
        "customer_id": original.customer_id,
        "issued_at": now,
        "issued_by": _issuer(session),
        "currency": original.currency,
        "vat_rate": original.vat_rate,
        "prices_include_vat": True,
        "subtotal": amounts.subtotal,
        "vat": amounts.vat,
        "total": amounts.total,
        "credited": Decimal(0),
        "reason": reason,
        "buyer_name": original.buyer_name,
        "buyer_tax_id": original.buyer_tax_id,
        "buyer_branch": original.buyer_branch,
        "buyer_address": original.buyer_address,
        "erased_at": original.erased_at,
    }
    line = InvoiceLine(
        id=uuid7(),
        position=0,
        sku=None,
        name=f"Refund on {original.number}: {reason}"[:300],
        quantity=1,
        unit_price=amounts.total,
        line_total=amounts.total,
    )
    note = await _insert(session, values, [line])
    emit(
        session,
        "credit_note.issued",
        CreditNoteIssued(
            credit_note_id=str(note.id),
            number=note.number,
            invoice_id=str(original.id),
            invoice_number=original.number,
            currency=note.currency,
            total=str(note.total),
            vat=str(note.vat),
            reason=reason,
        ),
        customer_id=note.customer_id,
    )
    return note


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    kinds: Sequence[DocumentKind] = ()
    store_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    issued_from: datetime | None = None
    issued_before: datetime | None = None


def filtered(stmt: Select[Any], f: InvoiceFilter) -> Select[Any]:
    if f.kinds:
        stmt = stmt.where(Invoice.kind.in_(f.kinds))
    if f.store_id is not None:
        stmt = stmt.where(Invoice.store_id == f.store_id)
    if f.customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == f.customer_id)
    if f.order_id is not None:
        stmt = stmt.where(Invoice.order_id == f.order_id)
    if f.issued_from is not None:
        stmt = stmt.where(Invoice.issued_at >= f.issued_from)
    if f.issued_before is not None:
        stmt = stmt.where(Invoice.issued_at < f.issued_before)
    return stmt
