"""Assets: registering what a customer owns (by hand or from an order), updating it, listing it.

A serial number is unique per product. Registration inserts with ``ON CONFLICT DO NOTHING``
(orders/conflicts.py), so two registrations of one serial racing each other give one asset
and one ``DUPLICATE`` error, and the loser's transaction writes nothing.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.assets.models import Asset, AssetStatus
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.customers.services import get_customer
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.orders.models import Order, OrderLine, OrderStatus
from unicrm.core.graph.products.models import Product

UNSET: Any = object()
MAX_SERIALS = 500


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def clean_text(value: str | None, field: str, limit: int) -> str | None:
    """Whitespace collapsed; empty is None; longer than ``limit`` is a ``TOO_LONG`` error."""
    text = " ".join((value or "").split()) or None
    if text is not None and len(text) > limit:
        raise DomainError.single("TOO_LONG", f"at most {limit} characters", field)
    return text


def clean_serial(value: str | None, field: str = "serial_number") -> str | None:
    """A serial number without spaces, in upper case: ``" ab 12-3 "`` → ``"AB12-3"``."""
    serial = "".join((value or "").split()).upper() or None
    if serial is not None and len(serial) > 100:
        raise DomainError.single("TOO_LONG", "a serial number has at most 100 characters", field)
    return serial


async def owner_of(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """The customer (merged-away ids resolve to the survivor) or a NOT_FOUND error."""
    try:
        return await get_customer(session, customer_id)
    except DomainError:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id") from None


@dataclass(frozen=True, slots=True)
class AssetData:
    customer_id: uuid.UUID
    product_id: uuid.UUID
    purchase_date: date
    serial_number: str | None = None
    warranty_end: date | None = None
    location: str | None = None
    notes: str | None = None


def _warranty(product: Product, purchase: date, given: date | None, field: str) -> date | None:
    if given is not None:
        if given < purchase:
            raise DomainError.single(
                "INVALID", "the warranty cannot end before the purchase date", field
            )
        return given
    if product.warranty_months is None:
        return None
    return add_months(purchase, product.warranty_months)


async def _insert(session: AsyncSession, values: dict[str, Any], sku: str, field: str) -> Asset:
    """Insert one asset; a serial already registered for the product is a DUPLICATE error."""
    if values["serial_number"] is None:
        row = Asset(**values)
        session.add(row)
        await session.flush()
        return row
    if not await insert_or_skip(session, Asset, values, ("product_id", "serial_number")):
        raise DomainError.single(
            "DUPLICATE",
            f"serial number {values['serial_number']} of {sku} is already registered",
            field,
        )
    return await session.get_one(Asset, values["id"])


def _registered(session: AsyncSession, asset: Asset) -> None:
    emit(
        session,
        "asset.registered",
        {
            "asset_id": str(asset.id),
            "product_id": str(asset.product_id),
            "serial_number": asset.serial_number,
            "order_id": None if asset.order_id is None else str(asset.order_id),
            "warranty_end": None if asset.warranty_end is None else asset.warranty_end.isoformat(),
        },
        customer_id=asset.customer_id,
    )


async def register_asset(session: AsyncSession, data: AssetData, today: date) -> Asset:
    """Register an asset by hand; the warranty defaults to the product's warranty length."""
    errors: list[FieldError] = []
    texts: dict[str, Any] = {}
    for name, value, clean in (
        ("serial_number", data.serial_number, lambda v, f: clean_serial(v, f)),
        ("location", data.location, lambda v, f: clean_text(v, f, 300)),
        ("notes", data.notes, lambda v, f: clean_text(v, f, 2000)),
    ):
        try:
            texts[name] = clean(value, name)
        except DomainError as error:
            errors += error.errors
    if data.purchase_date > today:
        errors.append(FieldError("INVALID", "the purchase date is in the future", "purchase_date"))
    product = await session.get(Product, data.product_id)
    if product is None:
        errors.append(FieldError("NOT_FOUND", "no such product", "product_id"))
    if errors:
        raise DomainError(*errors)
    assert product is not None
    customer = await owner_of(session, data.customer_id)
    values = {
        "id": uuid7(),
        "customer_id": customer.id,
        "product_id": product.id,
        "purchase_date": data.purchase_date,
        "warranty_end": _warranty(product, data.purchase_date, data.warranty_end, "warranty_end"),
        "status": AssetStatus.ACTIVE,
        **texts,
    }
    asset = await _insert(session, values, product.sku, "serial_number")
    _registered(session, asset)
    return asset


@dataclass(frozen=True, slots=True)
class LineSerials:
    order_line_id: uuid.UUID
    serial_numbers: Sequence[str]


def _line_errors(
    i: int,
    line: OrderLine | None,
    serials: list[str | None],
    registered: int,
) -> list[FieldError]:
    at = f"lines.{i}"
    if line is None:
        return [FieldError("NOT_FOUND", "no such line in this order", f"{at}.order_line_id")]
    if not serials or len(serials) > MAX_SERIALS:
        return [
            FieldError(
                "REQUIRED", f"give 1 to {MAX_SERIALS} serial numbers", f"{at}.serial_numbers"
            )
        ]
    if any(s is None for s in serials):
        return [FieldError("REQUIRED", "a serial number is empty", f"{at}.serial_numbers")]
    if registered + len(serials) > line.quantity:
        left = line.quantity - registered
        return [
            FieldError(
                "QUANTITY_EXCEEDED",
                f"the line has {line.quantity} items and {left} left to register",
                f"{at}.serial_numbers",
            )
        ]
    return []


async def assets_from_order(
    session: AsyncSession, order_id: uuid.UUID, items: Sequence[LineSerials], zone: ZoneInfo
) -> list[Asset]:
    """One asset per serial number given for each line of an order, owned by the buyer.

    A line never gets more assets than its quantity: its row is locked while counting, so
    two concurrent registrations for one line cannot both take the last items.
    """
    order = await session.get(Order, order_id)
    if order is None:
        raise DomainError.single("NOT_FOUND", "no such order", "order_id")
    if order.status is not OrderStatus.PLACED:
        raise DomainError.single("INVALID", f"the order is {order.status.value}", "order_id")
    if not items:
        raise DomainError.single("REQUIRED", "give at least one line", "lines")
    wanted = [item.order_line_id for item in items]
    lines = {
        line.id: line
        for line in await session.scalars(
            select(OrderLine)
            .where(OrderLine.order_id == order.id, OrderLine.id.in_(wanted))
            .order_by(OrderLine.id)
            .with_for_update()
        )
    }
    registered = dict(
        (
            await session.execute(
                select(Asset.order_line_id, func.count())
                .where(Asset.order_line_id.in_(lines))
                .group_by(Asset.order_line_id)
            )
        ).all()
    )
    errors: list[FieldError] = []
    cleaned: list[list[str | None]] = []
    seen: set[tuple[uuid.UUID, str]] = set()
    for i, item in enumerate(items):
        try:
            serials = [clean_serial(s, f"lines.{i}.serial_numbers") for s in item.serial_numbers]
        except DomainError as error:
            errors += error.errors
            serials = []
        line = lines.get(item.order_line_id)
        cleaned.append(serials)
        errors += _line_errors(i, line, serials, registered.get(item.order_line_id, 0))
        if line is not None:
            for serial in serials:
                if serial is not None and (line.product_id, serial) in seen:
                    errors.append(
                        FieldError(
                            "DUPLICATE",
                            f"serial number {serial} is given twice",
                            f"lines.{i}.serial_numbers",
                        )
                    )
                seen.add((line.product_id, serial or ""))
            registered[line.id] = registered.get(line.id, 0) + len(serials)
    if errors:
        raise DomainError(*errors)
    purchase = order.placed_at.astimezone(zone).date()
    products = {
        p.id: p
        for p in await session.scalars(
            select(Product).where(Product.id.in_({line.product_id for line in lines.values()}))
        )
    }
    assets = []
    for i, (item, serials) in enumerate(zip(items, cleaned, strict=True)):
        line = lines[item.order_line_id]
        product = products[line.product_id]
        for serial in serials:
            values = {
                "id": uuid7(),
                "customer_id": order.customer_id,
                "product_id": product.id,
                "serial_number": serial,
                "purchase_date": purchase,
                "warranty_end": _warranty(product, purchase, None, "lines"),
                "order_id": order.id,
                "order_line_id": line.id,
                "status": AssetStatus.ACTIVE,
            }
            assets.append(await _insert(session, values, product.sku, f"lines.{i}.serial_numbers"))
    for asset in assets:
        _registered(session, asset)
    return assets


@dataclass(frozen=True, slots=True)
class AssetChange:
    """The fields of an asset to change; ``UNSET`` leaves one as it is, None clears it."""

    status: AssetStatus = UNSET
    warranty_end: date | None = UNSET
    location: str | None = UNSET
    notes: str | None = UNSET


async def update_asset(session: AsyncSession, asset_id: uuid.UUID, change: AssetChange) -> Asset:
    asset = await session.scalar(select(Asset).where(Asset.id == asset_id).with_for_update())
    if asset is None:
        raise DomainError.single("NOT_FOUND", "no such asset", "id")
    errors: list[FieldError] = []
    for name, limit in (("location", 300), ("notes", 2000)):
        value = getattr(change, name)
        if value is not UNSET:
            try:
                setattr(asset, name, clean_text(value, name, limit))
            except DomainError as error:
                errors += error.errors
    if change.status is None:
        errors.append(FieldError("REQUIRED", "status cannot be null", "status"))
    if change.warranty_end is not UNSET and change.warranty_end != asset.warranty_end:
        if change.warranty_end is not None and change.warranty_end < asset.purchase_date:
            errors.append(
                FieldError(
                    "INVALID", "the warranty cannot end before the purchase date", "warranty_end"
                )
            )
        asset.warranty_end = change.warranty_end
        asset.warranty_notice_days = None  # a new end date gets its reminders afresh
    if errors:
        raise DomainError(*errors)
    if change.status is not UNSET and change.status is not asset.status:
        emit(
            session,
            "asset.status_changed",
            {
                "asset_id": str(asset.id),
                "from_status": asset.status.value,
                "to_status": change.status.value,
            },
            customer_id=asset.customer_id,
        )
        asset.status = change.status
    await session.flush()
    return asset


def visible_to(ctx: Any) -> ColumnElement[bool] | None:
    """The assets the request's actor may see: those of customers in its ``core.asset`` scope."""
    return visible(ctx, "core.asset", owner=Customer.owner_id, department=Customer.department_id)


def scoped(stmt: Select[Any], where: ColumnElement[bool] | None) -> Select[Any]:
    """``stmt`` over assets limited to ``where`` (a predicate on their customer)."""
    if where is None:
        return stmt
    return stmt.join(Customer, Customer.id == Asset.customer_id).where(where)


@dataclass(frozen=True, slots=True)
class AssetFilter:
    customer_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    statuses: tuple[AssetStatus, ...] | None = None
    serial_number: str | None = None
    warranty_ending_before: date | None = None
    """Assets whose warranty ends on or before this day (and has an end)."""


def filtered(stmt: Select[Any], f: AssetFilter) -> Select[Any]:
    if f.customer_id is not None:
        stmt = stmt.where(Asset.customer_id == f.customer_id)
    if f.product_id is not None:
        stmt = stmt.where(Asset.product_id == f.product_id)
    if f.statuses:
        stmt = stmt.where(Asset.status.in_(f.statuses))
    if f.serial_number is not None:
        stmt = stmt.where(Asset.serial_number == clean_serial(f.serial_number))
    if f.warranty_ending_before is not None:
        stmt = stmt.where(Asset.warranty_end <= f.warranty_ending_before)
    return stmt
