"""Product domain logic: create, update, look up, filter. Resolvers stay thin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import MONEY_QUANTUM
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.products.models import Product

UNSET: Any = object()

MAX_AMOUNT = Decimal(10) ** 14
"""Amounts are stored as BIGINT ten-thousandths; this keeps every sum of them in range."""


@dataclass(frozen=True, slots=True)
class Price:
    amount: Decimal
    currency: str


def money_errors(price: Price, field: str, *, allow_zero: bool = True) -> list[FieldError]:
    """What is wrong with an amount of money given as input (negative, too big, bad code)."""
    errors: list[FieldError] = []
    amount = price.amount
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        errors.append(FieldError("INVALID", "the amount must not be negative", field))
    elif amount >= MAX_AMOUNT:
        errors.append(FieldError("INVALID", "the amount is too large", field))
    return errors + currency_errors(price.currency, f"{field}.currency")


def currency_errors(code: str, field: str) -> list[FieldError]:
    if len(code) == 3 and code.isascii() and code.isalpha() and code.isupper():
        return []
    return [FieldError("INVALID", "currency must be a three-letter ISO 4217 code", field)]


@dataclass
class ProductData:
    """The editable fields of a product; ``UNSET`` leaves a field as it is on update."""

    sku: str | None = UNSET
    name: str | None = UNSET
    category: str | None = UNSET
    price: Price | None = UNSET
    active: bool | None = UNSET
    description: str | None = UNSET
    warranty_months: int | None = UNSET


MAX_WARRANTY_MONTHS = 600


def _clean(value: str | None) -> str | None:
    value = " ".join(value.split()) if value is not None else None
    return value or None


def normalize_category(value: str | None) -> str | None:
    """``" Food / Noodles/ "`` → ``"Food/Noodles"``: trimmed segments, no empty ones."""
    if value is None:
        return None
    parts = [_clean(p) for p in value.split("/")]
    return "/".join(p for p in parts if p) or None


def _apply(row: Product, data: ProductData) -> list[str]:
    """Copy the given fields onto ``row``; return the names of the fields that changed."""
    changed: list[str] = []
    values: dict[str, Any] = {
        "sku": data.sku if data.sku is UNSET else (data.sku or "").strip() or None,
        "name": data.name if data.name is UNSET else _clean(data.name),
        "category": data.category if data.category is UNSET else normalize_category(data.category),
        "active": data.active,
        "description": data.description
        if data.description is UNSET
        else (data.description or "").strip() or None,
        "warranty_months": data.warranty_months,
    }
    if data.price is not UNSET and data.price is not None:
        values["price"] = data.price.amount
        values["currency"] = data.price.currency
    for name, value in values.items():
        if value is not UNSET and getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return changed


def _validate(row: Product, data: ProductData) -> None:
    errors: list[FieldError] = []
    if not row.sku:
        errors.append(FieldError("REQUIRED", "sku is required", "sku"))
    elif len(row.sku) > 64:
        errors.append(FieldError("TOO_LONG", "sku is longer than 64 characters", "sku"))
    if not row.name:
        errors.append(FieldError("REQUIRED", "name is required", "name"))
    elif len(row.name) > 300:
        errors.append(FieldError("TOO_LONG", "name is longer than 300 characters", "name"))
    if row.category is not None and len(row.category) > 200:
        errors.append(FieldError("TOO_LONG", "category is longer than 200 characters", "category"))
    if data.price is None or row.price is None:
        errors.append(FieldError("REQUIRED", "price is required", "price"))
    elif data.price is not UNSET:
        errors += money_errors(data.price, "price")
    if row.active is None:
        errors.append(FieldError("REQUIRED", "active cannot be null", "active"))
    if row.warranty_months is not None and not 0 < row.warranty_months <= MAX_WARRANTY_MONTHS:
        errors.append(
            FieldError(
                "INVALID",
                f"a warranty is 1 to {MAX_WARRANTY_MONTHS} months",
                "warranty_months",
            )
        )
    if errors:
        raise DomainError(*errors)
    row.price = row.price.quantize(MONEY_QUANTUM)


async def _check_sku_free(session: AsyncSession, row: Product) -> None:
    with session.no_autoflush:
        taken = await session.scalar(select(Product.id).where(Product.sku == row.sku))
    if taken is not None and taken != row.id:
        raise DomainError.single("DUPLICATE", f"sku {row.sku!r} is already used", "sku")


async def _flush(session: AsyncSession, row: Product) -> None:
    """Flush; a concurrent insert of the same SKU becomes a DUPLICATE error (all rolls back)."""
    try:
        await session.flush()
    except IntegrityError as exc:
        if "sku" not in str(exc.orig):
            raise
        raise DomainError.single("DUPLICATE", f"sku {row.sku!r} is already used", "sku") from None


async def create_product(session: AsyncSession, data: ProductData) -> Product:
    row = Product(id=uuid7(), active=True)
    _apply(row, data)
    _validate(row, data)
    await _check_sku_free(session, row)
    session.add(row)
    await _flush(session, row)
    emit(session, "product.created", {"product_id": str(row.id), "sku": row.sku})
    return row


async def update_product(
    session: AsyncSession, product_id: uuid.UUID, data: ProductData
) -> Product:
    row = await get_product(session, product_id, for_update=True)
    changed = _apply(row, data)
    _validate(row, data)
    if "sku" in changed:
        await _check_sku_free(session, row)
    if changed:
        await _flush(session, row)
        emit(session, "product.updated", {"product_id": str(row.id), "fields": changed})
    return row


async def get_product(
    session: AsyncSession, product_id: uuid.UUID, *, for_update: bool = False
) -> Product:
    stmt = select(Product).where(Product.id == product_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such product", "id")
    return row


@dataclass(frozen=True, slots=True)
class ProductFilter:
    category: str | None = None
    active: bool | None = None
    search: str | None = None


def filtered(stmt: Select[Any], f: ProductFilter) -> Select[Any]:
    category = normalize_category(f.category)
    if category is not None:
        stmt = stmt.where(
            or_(
                Product.category == category,
                Product.category.startswith(category + "/", autoescape=True),
            )
        )
    if f.active is not None:
        stmt = stmt.where(Product.active == f.active)
    search = _clean(f.search)
    if search is not None:
        stmt = stmt.where(
            or_(
                Product.sku.icontains(search, autoescape=True),
                Product.name.icontains(search, autoescape=True),
            )
        )
    return stmt
