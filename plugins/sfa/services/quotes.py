"""Quotes for deals from the product catalogue: lines, discounts, Thai VAT, versions, the
status machine and acceptance into a core order.

Amounts are ``Decimal`` rounded to the satang (0.01) half up, as Thai tax documents are: a
percent discount is rounded per line, VAT once on the quote's net total. Prices are given
either without VAT (``prices_include_vat=False``: VAT is added on top) or with it (the VAT
inside the total is ``total * rate / (1 + rate)``). The rate defaults to
``commerce.vat_rate`` (7%).

Status: draft → sent → accepted | rejected, and a sent quote past ``valid_until`` is expired
(by the daily job, or when someone tries to accept it). Only a draft changes; a new version
copies the latest one into a new draft and keeps the others as they were.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import get_settings
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.products.services import MAX_AMOUNT, Price
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.jobs.contracts import JobRun
from unicrm.plugins.sfa.events import QuoteAccepted
from unicrm.plugins.sfa.models import Deal, Quote, QuoteLine, QuoteStatus
from unicrm.plugins.sfa.services.deals import get_deal
from unicrm.plugins.sfa.services.deals import visible_to as deal_scope

SATANG = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_LINES = 200
MAX_QUANTITY = 1_000_000
MAX_VALIDITY_DAYS = 366
EXPIRE_JOB = "sfa.expire_quotes"


def visible_to(ctx: Any, action: str = "read") -> ColumnElement[bool] | None:
    """Quotes follow the row scope of their deal (``sfa.deal``)."""
    deals = deal_scope(ctx, action)
    return None if deals is None else Quote.deal_id.in_(select(Deal.id).where(deals))


def satang(amount: Decimal) -> Decimal:
    return amount.quantize(SATANG, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LineInput:
    product_id: uuid.UUID
    quantity: int
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    quantity: int
    unit_price: Decimal
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class LineAmounts:
    gross: Decimal
    discount: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    lines: list[LineAmounts]
    discount: Decimal
    net: Decimal
    vat: Decimal
    grand: Decimal


def line_errors(i: int, line: PricedLine) -> list[FieldError]:
    """What is wrong with one line: quantity, price, a discount over 100% or over the line."""
    at = f"lines.{i}"
    errors: list[FieldError] = []
    if not 0 < line.quantity <= MAX_QUANTITY:
        errors.append(
            FieldError("INVALID_QUANTITY", f"a quantity is 1 to {MAX_QUANTITY}", f"{at}.quantity")
        )
    if not line.unit_price.is_finite() or not 0 <= line.unit_price < MAX_AMOUNT:
        errors.append(FieldError("INVALID_AMOUNT", "a price is not negative", f"{at}.unit_price"))
    if line.discount_percent is not None and line.discount_amount is not None:
        errors.append(
            FieldError("INVALID_DISCOUNT", "a percent or an amount, not both", f"{at}.discount")
        )
    if line.discount_percent is not None and not (
        line.discount_percent.is_finite() and 0 <= line.discount_percent <= HUNDRED
    ):
        errors.append(
            FieldError(
                "INVALID_DISCOUNT", "a discount is 0 to 100 percent", f"{at}.discount_percent"
            )
        )
    if line.discount_amount is not None:
        if not line.discount_amount.is_finite() or line.discount_amount < 0:
            errors.append(
                FieldError(
                    "INVALID_DISCOUNT", "a discount is not negative", f"{at}.discount_amount"
                )
            )
        elif not errors and line.discount_amount > line.unit_price * line.quantity:
            errors.append(
                FieldError(
                    "INVALID_DISCOUNT",
                    "the discount is more than the line's total",
                    f"{at}.discount_amount",
                )
            )
    return errors


def compute(lines: Sequence[PricedLine], vat_rate: Decimal, prices_include_vat: bool) -> Totals:
    """Line and quote totals, each rounded to the satang half up (lines must be valid)."""
    amounts = []
    for line in lines:
        gross = satang(line.unit_price * line.quantity)
        if line.discount_percent is not None:
            discount = satang(gross * line.discount_percent / HUNDRED)
        else:
            discount = satang(line.discount_amount or Decimal(0))
        amounts.append(LineAmounts(gross, discount, gross - discount))
    total = sum((a.total for a in amounts), Decimal(0))
    discount = sum((a.discount for a in amounts), Decimal(0))
    if prices_include_vat:
        vat = satang(total * vat_rate / (1 + vat_rate))
        return Totals(amounts, discount, total - vat, vat, total)
    vat = satang(total * vat_rate)
    return Totals(amounts, discount, total, vat, total + vat)


@dataclass
class QuoteTerms:
    valid_until: date
    prices_include_vat: bool = False
    vat_rate: Decimal | None = None
    delivery_lead_days: int | None = None


@dataclass
class TermChanges:
    """A draft's terms to change; None keeps the current one."""

    valid_until: date | None = None
    prices_include_vat: bool | None = None
    vat_rate: Decimal | None = None
    delivery_lead_days: int | None = None


def _terms_errors(terms: QuoteTerms, today: date) -> list[FieldError]:
    errors: list[FieldError] = []
    if terms.valid_until < today:
        errors.append(FieldError("INVALID_DATE", "validUntil is in the past", "valid_until"))
    elif terms.valid_until > today + timedelta(days=MAX_VALIDITY_DAYS):
        errors.append(
            FieldError("INVALID_DATE", f"at most {MAX_VALIDITY_DAYS} days ahead", "valid_until")
        )
    rate = terms.vat_rate
    if rate is not None and not (rate.is_finite() and 0 <= rate < 1):
        errors.append(FieldError("INVALID", "a VAT rate is from 0 to below 1", "vat_rate"))
    lead = terms.delivery_lead_days
    if lead is not None and not 0 <= lead <= 3650:
        errors.append(FieldError("INVALID", "a lead time is 0 to 3650 days", "delivery_lead_days"))
    return errors


async def _priced(
    session: AsyncSession, lines: Sequence[LineInput], currency: str
) -> list[QuoteLine]:
    if not lines:
        raise DomainError.single("REQUIRED", "a quote needs at least one line", "lines")
    if len(lines) > MAX_LINES:
        raise DomainError.single("INVALID", f"at most {MAX_LINES} lines", "lines")
    wanted = {line.product_id for line in lines}
    products = {
        p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(wanted)))
    }
    errors: list[FieldError] = []
    priced: list[PricedLine] = []
    for i, line in enumerate(lines):
        product = products.get(line.product_id)
        at = f"lines.{i}.product_id"
        if product is None:
            errors.append(FieldError("NOT_FOUND", "no such product", at))
            continue
        if not product.active:
            errors.append(
                FieldError("INACTIVE_PRODUCT", f"product {product.sku} is not for sale", at)
            )
        if line.unit_price is None and product.currency != currency:
            errors.append(
                FieldError("CURRENCY_MISMATCH", f"the product is priced in {product.currency}", at)
            )
        one = PricedLine(
            line.quantity,
            product.price if line.unit_price is None else line.unit_price,
            line.discount_percent,
            line.discount_amount,
        )
        errors += line_errors(i, one)
        priced.append(one)
    if errors:
        raise DomainError(*errors)
    rows = [
        QuoteLine(
            position=i,
            product_id=line.product_id,
            sku=products[line.product_id].sku,
            name=products[line.product_id].name,
            quantity=p.quantity,
            unit_price=p.unit_price,
            discount_percent=p.discount_percent,
            discount_amount=p.discount_amount,
        )
        for i, (line, p) in enumerate(zip(lines, priced, strict=True))
    ]
    return rows


def _apply_totals(quote: Quote, rows: list[QuoteLine]) -> None:
    priced = [
        PricedLine(r.quantity, r.unit_price, r.discount_percent, r.discount_amount) for r in rows
    ]
    totals = compute(priced, quote.vat_rate, quote.prices_include_vat)
    if totals.grand >= MAX_AMOUNT:
        raise DomainError.single("INVALID_AMOUNT", "the quote total is too large", "lines")
    for row, amounts in zip(rows, totals.lines, strict=True):
        row.discount, row.line_total = amounts.discount, amounts.total
    quote.discount_total, quote.net_total = totals.discount, totals.net
    quote.vat_amount, quote.grand_total = totals.vat, totals.grand


def _today() -> date:
    """Validity dates are days of the business time zone: a quote valid until the 30th may
    be accepted until midnight in Bangkok, not midnight UTC."""
    return get_settings().business_date()


def _actor(session: AsyncSession) -> str:
    return getattr(session.info.get("actor"), "name", None) or "system"


async def create_quote(
    session: AsyncSession,
    deal_id: uuid.UUID,
    lines: Sequence[LineInput],
    terms: QuoteTerms,
    scope: ColumnElement[bool] | None = None,
) -> Quote:
    """Version 1 of a new quote for the deal, as a draft in the deal's currency."""
    errors = _terms_errors(terms, _today())
    if errors:
        raise DomainError(*errors)
    deal = await get_deal(session, deal_id, scope, "deal_id")
    rows = await _priced(session, lines, deal.currency)
    quote_id = uuid7()
    quote = Quote(
        id=quote_id,
        deal_id=deal.id,
        customer_id=deal.customer_id,
        family_id=quote_id,
        version=1,
        status=QuoteStatus.DRAFT,
        currency=deal.currency,
        prices_include_vat=terms.prices_include_vat,
        vat_rate=get_settings().commerce.vat_rate if terms.vat_rate is None else terms.vat_rate,
        valid_until=terms.valid_until,
        delivery_lead_days=terms.delivery_lead_days,
        created_by=_actor(session),
    )
    _apply_totals(quote, rows)
    session.add(quote)
    await session.flush()
    for row in rows:
        row.quote_id = quote.id
    session.add_all(rows)
    await session.flush()
    return quote


async def get_quote(
    session: AsyncSession,
    quote_id: uuid.UUID,
    scope: ColumnElement[bool] | None = None,
    *,
    for_update: bool = False,
) -> Quote:
    """The quote, if the caller's scope (``visible_to``) holds it."""
    stmt = select(Quote).where(Quote.id == quote_id)
    if scope is not None:
        stmt = stmt.where(scope)
    if for_update:
        stmt = stmt.with_for_update(of=Quote)
    quote = await session.scalar(stmt)
    if quote is None:
        raise DomainError.single("NOT_FOUND", "no such quote", "id")
    return quote


async def lines_of(session: AsyncSession, quote_id: uuid.UUID) -> list[QuoteLine]:
    stmt = select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.position)
    return list((await session.scalars(stmt)).all())


def _draft(quote: Quote) -> None:
    if quote.status is not QuoteStatus.DRAFT:
        raise DomainError.single(
            "QUOTE_NOT_DRAFT",
            f"version {quote.version} is {quote.status.value}; make a new version to change it",
            "id",
        )


async def update_quote(
    session: AsyncSession,
    quote_id: uuid.UUID,
    lines: Sequence[LineInput] | None,
    changes: TermChanges,
    scope: ColumnElement[bool] | None = None,
) -> Quote:
    """Change a draft's terms (those given) and/or replace its lines; a sent (or decided)
    version never changes."""
    quote = await get_quote(session, quote_id, scope, for_update=True)
    _draft(quote)
    given = changes.prices_include_vat
    lead = changes.delivery_lead_days
    terms = QuoteTerms(
        changes.valid_until or quote.valid_until,
        quote.prices_include_vat if given is None else given,
        changes.vat_rate,
        quote.delivery_lead_days if lead is None else lead,
    )
    errors = _terms_errors(terms, _today())
    if errors:
        raise DomainError(*errors)
    quote.valid_until = terms.valid_until
    quote.prices_include_vat = terms.prices_include_vat
    if terms.vat_rate is not None:
        quote.vat_rate = terms.vat_rate
    quote.delivery_lead_days = terms.delivery_lead_days
    rows = await lines_of(session, quote.id)
    if lines is not None:
        new_rows = await _priced(session, lines, quote.currency)
        for row in rows:
            await session.delete(row)
        await session.flush()
        for row in new_rows:
            row.quote_id = quote.id
        session.add_all(new_rows)
        rows = new_rows
    _apply_totals(quote, rows)
    await session.flush()
    return quote


async def new_version(
    session: AsyncSession, quote_id: uuid.UUID, scope: ColumnElement[bool] | None = None
) -> Quote:
    """A draft copy of the family's latest version, numbered one higher."""
    base = await get_quote(session, quote_id, scope)
    latest = await session.scalar(
        select(Quote)
        .where(Quote.family_id == base.family_id)
        .order_by(Quote.version.desc())
        .limit(1)
        .with_for_update()
    )
    assert latest is not None  # the family holds base at least
    if latest.status is QuoteStatus.ACCEPTED:
        raise DomainError.single("QUOTE_DECIDED", "the quote was accepted", "id")
    copy = Quote(
        id=uuid7(),
        deal_id=latest.deal_id,
        customer_id=latest.customer_id,
        family_id=latest.family_id,
        version=latest.version + 1,
        status=QuoteStatus.DRAFT,
        currency=latest.currency,
        prices_include_vat=latest.prices_include_vat,
        vat_rate=latest.vat_rate,
        valid_until=max(latest.valid_until, _today()),
        delivery_lead_days=latest.delivery_lead_days,
        created_by=_actor(session),
    )
    rows = [
        QuoteLine(
            position=r.position,
            product_id=r.product_id,
            sku=r.sku,
            name=r.name,
            quantity=r.quantity,
            unit_price=r.unit_price,
            discount_percent=r.discount_percent,
            discount_amount=r.discount_amount,
        )
        for r in await lines_of(session, latest.id)
    ]
    _apply_totals(copy, rows)
    session.add(copy)
    await session.flush()
    for row in rows:
        row.quote_id = copy.id
    session.add_all(rows)
    await session.flush()
    return copy


async def send_quote(
    session: AsyncSession, quote_id: uuid.UUID, scope: ColumnElement[bool] | None = None
) -> Quote:
    quote = await get_quote(session, quote_id, scope, for_update=True)
    _draft(quote)
    if quote.valid_until < _today():
        raise DomainError.single("QUOTE_EXPIRED", "validUntil has passed; change it", "id")
    quote.status = QuoteStatus.SENT
    quote.sent_at = utcnow()
    add_entry(
        session,
        quote.customer_id,
        "sfa.quote_sent",
        f"Quote sent: {quote.grand_total} {quote.currency} (version {quote.version})",
        ref_type="Quote",
        ref_id=quote.id,
    )
    await session.flush()
    return quote


def _sent(quote: Quote) -> None:
    if quote.status is not QuoteStatus.SENT:
        raise DomainError.single(
            "QUOTE_NOT_SENT", f"the quote is {quote.status.value}, not sent", "id"
        )


async def reject_quote(
    session: AsyncSession, quote_id: uuid.UUID, scope: ColumnElement[bool] | None = None
) -> Quote:
    quote = await get_quote(session, quote_id, scope, for_update=True)
    _sent(quote)
    quote.status = QuoteStatus.REJECTED
    quote.decided_at = utcnow()
    await session.flush()
    return quote


@dataclass(frozen=True, slots=True)
class Accepted:
    quote: Quote
    deal: Deal


async def accept_quote(
    session: AsyncSession,
    quote_id: uuid.UUID,
    scope: ColumnElement[bool] | None = None,
    delivery_date: date | None = None,
) -> Accepted:
    """Accept a sent quote in one step: a core order of its lines (VAT-inclusive unit prices
    after discounts), the deal's amount set to the quote's grand total, the delivery date
    recorded (given, or today plus the lead time). An expired quote is refused."""
    quote = await get_quote(session, quote_id, scope, for_update=True)
    _sent(quote)
    today = _today()
    if quote.valid_until < today:
        raise DomainError.single("QUOTE_EXPIRED", f"the quote expired on {quote.valid_until}", "id")
    if delivery_date is not None and delivery_date < today:
        raise DomainError.single("INVALID_DATE", "delivery is not in the past", "delivery_date")
    rows = await lines_of(session, quote.id)
    share = Decimal(1) if quote.prices_include_vat else 1 + quote.vat_rate
    order, _ = await create_order(
        session,
        OrderData(
            customer_id=quote.customer_id,
            source=OrderSource.MANUAL,
            currency=quote.currency,
            external_id=f"sfa-quote:{quote.id}",
            lines=[
                LineData(
                    product_id=r.product_id,
                    quantity=r.quantity,
                    unit_price=Price(r.line_total * share / r.quantity, quote.currency),
                )
                for r in rows
            ],
        ),
    )
    now = utcnow()
    quote.status = QuoteStatus.ACCEPTED
    quote.decided_at = now
    quote.order_id = order.id
    quote.delivery_date = delivery_date or (
        None if quote.delivery_lead_days is None else today + timedelta(quote.delivery_lead_days)
    )
    deal = await session.get_one(Deal, quote.deal_id)
    deal.amount, deal.currency = quote.grand_total, quote.currency
    deal.updated_at = now
    add_entry(
        session,
        quote.customer_id,
        "sfa.quote_accepted",
        f"Quote accepted: {quote.grand_total} {quote.currency}",
        ref_type="Quote",
        ref_id=quote.id,
    )
    emit(
        session,
        "quote.accepted",
        QuoteAccepted(
            quote_id=str(quote.id),
            deal_id=str(deal.id),
            order_id=str(order.id),
            grand_total=str(quote.grand_total),
            currency=quote.currency,
        ),
        customer_id=quote.customer_id,
    )
    await session.flush()
    return Accepted(quote, deal)


async def expire_quotes(job: JobRun, session: AsyncSession) -> None:
    """The daily job: sent quotes past their validity become expired (idempotent)."""
    await session.execute(
        update(Quote)
        .where(
            Quote.status == QuoteStatus.SENT, Quote.valid_until < job.app_settings.business_date()
        )
        .values(status=QuoteStatus.EXPIRED, decided_at=func.coalesce(Quote.decided_at, utcnow()))
    )
