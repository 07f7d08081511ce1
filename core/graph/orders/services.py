"""Placing orders: validation against the catalogue, totals, idempotency by external id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import MONEY_QUANTUM, utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.orders.models import Order, OrderLine, OrderSource, OrderStatus
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.products.services import (
    MAX_AMOUNT,
    Price,
    currency_errors,
    money_errors,
)
from unicrm.core.graph.timeline.services import add_entry

MAX_LINES = 500
MAX_MODIFIERS = 20


@dataclass(frozen=True, slots=True)
class LineData:
    product_id: uuid.UUID
    quantity: int
    unit_price: Price | None = None
    modifiers: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class OrderData:
    customer_id: uuid.UUID
    source: OrderSource
    currency: str
    lines: Sequence[LineData]
    external_id: str | None = None
    store_code: str | None = None
    placed_at: datetime | None = None


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


async def find_by_external_id(
    session: AsyncSession, source: OrderSource, external_id: str
) -> Order | None:
    return await session.scalar(
        select(Order).where(Order.source == source, Order.external_id == external_id)
    )


def _header_errors(data: OrderData, external_id: str | None, store: str | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if external_id is not None and len(external_id) > 100:
        errors.append(
            FieldError("TOO_LONG", "external id is longer than 100 characters", "external_id")
        )
    if store is not None and len(store) > 32:
        errors.append(
            FieldError("TOO_LONG", "store code is longer than 32 characters", "store_code")
        )
    if data.placed_at is not None and data.placed_at.tzinfo is None:
        errors.append(FieldError("INVALID", "placed at needs a time zone offset", "placed_at"))
    errors += currency_errors(data.currency, "currency")
    if not data.lines:
        errors.append(FieldError("REQUIRED", "an order needs at least one line", "lines"))
    elif len(data.lines) > MAX_LINES:
        errors.append(FieldError("INVALID", f"an order has at most {MAX_LINES} lines", "lines"))
    return errors


def _line_errors(
    i: int, line: LineData, product: Product | None, currency: str
) -> list[FieldError]:
    at = f"lines.{i}"
    errors: list[FieldError] = []
    if product is None:
        errors.append(FieldError("NOT_FOUND", "no such product", f"{at}.product_id"))
    elif not product.active:
        errors.append(
            FieldError(
                "INACTIVE_PRODUCT", f"product {product.sku} is not for sale", f"{at}.product_id"
            )
        )
    if line.quantity <= 0:
        errors.append(FieldError("INVALID", "quantity must be at least 1", f"{at}.quantity"))
    if line.unit_price is not None:
        errors += money_errors(line.unit_price, f"{at}.unit_price")
        if line.unit_price.currency != currency:
            errors.append(
                FieldError(
                    "CURRENCY_MISMATCH", f"the order is in {currency}", f"{at}.unit_price.currency"
                )
            )
    elif product is not None and product.currency != currency:
        errors.append(
            FieldError(
                "CURRENCY_MISMATCH",
                f"the product is priced in {product.currency}, the order is in {currency}",
                f"{at}.unit_price",
            )
        )
    if len(line.modifiers) > MAX_MODIFIERS or any(len(m) > 200 for m in line.modifiers):
        errors.append(
            FieldError(
                "INVALID", f"at most {MAX_MODIFIERS} modifiers of 200 characters", f"{at}.modifiers"
            )
        )
    return errors


async def _customer_id(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID:
    """The surviving id of the customer (merged-away ids resolve), in one statement."""
    alias = (
        select(CustomerAlias.customer_id)
        .where(CustomerAlias.old_id == customer_id)
        .scalar_subquery()
    )
    real = await session.scalar(
        select(Customer.id).where(Customer.id == func.coalesce(alias, customer_id))
    )
    if real is None:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id")
    return real


def _build_lines(data: OrderData, products: dict[uuid.UUID, Product]) -> list[OrderLine]:
    lines = []
    for i, line in enumerate(data.lines):
        product = products[line.product_id]
        unit = line.unit_price.amount if line.unit_price is not None else product.price
        unit = unit.quantize(MONEY_QUANTUM)
        lines.append(
            OrderLine(
                id=uuid7(),
                position=i,
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                quantity=line.quantity,
                unit_price=unit,
                line_total=unit * line.quantity,
                modifiers=[" ".join(m.split()) for m in line.modifiers if m.strip()],
            )
        )
    return lines


async def create_order(session: AsyncSession, data: OrderData) -> tuple[Order, bool]:
    """Place an order; returns ``(order, created)``.

    With an external id, a second create for the same source returns the first order and
    writes nothing (``created`` is False), also when both race: the insert of the loser does
    nothing and the winner's order is read back.
    """
    external_id, store = _clean(data.external_id), _clean(data.store_code)
    if external_id is not None and len(external_id) <= 100:
        existing = await find_by_external_id(session, data.source, external_id)
        if existing is not None:
            return existing, False
    errors = _header_errors(data, external_id, store)
    if errors:
        raise DomainError(*errors)
    customer_id = await _customer_id(session, data.customer_id)
    wanted = {line.product_id for line in data.lines}
    products = {
        p.id: p for p in await session.scalars(select(Product).where(Product.id.in_(wanted)))
    }
    for i, line in enumerate(data.lines):
        errors += _line_errors(i, line, products.get(line.product_id), data.currency)
    if errors:
        raise DomainError(*errors)
    lines = _build_lines(data, products)
    total = sum((line.line_total for line in lines), Decimal(0))
    if total >= MAX_AMOUNT:
        raise DomainError.single("INVALID", "the order total is too large", "lines")

    values: dict[str, Any] = {
        "id": uuid7(),
        "customer_id": customer_id,
        "source": data.source,
        "external_id": external_id,
        "store_code": store,
        "placed_at": (data.placed_at or utcnow()).astimezone(UTC),
        "currency": data.currency,
        "total": total,
        "status": OrderStatus.PLACED,
    }
    if external_id is None:
        order = Order(**values)
        session.add(order)
    elif await insert_or_skip(session, Order, values, ("source", "external_id")):
        order = await session.get_one(Order, values["id"])
    else:
        winner = await find_by_external_id(session, data.source, external_id)
        assert winner is not None  # the conflicting row is committed and visible now
        return winner, False
    for line in lines:
        line.order_id = order.id
    session.add_all(lines)
    await session.flush()
    _record_placed(session, order, lines)
    return order, True


def _record_placed(session: AsyncSession, order: Order, lines: list[OrderLine]) -> None:
    """The ``order.placed`` event and the customer's timeline entry, in the same transaction."""
    total = f"{order.total:.2f} {order.currency}"
    items = sum(line.quantity for line in lines)
    where = f" at {order.store_code}" if order.store_code else ""
    emit(
        session,
        "order.placed",
        {
            "order_id": str(order.id),
            "source": order.source.value,
            "external_id": order.external_id,
            "store_code": order.store_code,
            "placed_at": order.placed_at.isoformat(),
            "currency": order.currency,
            "total": str(order.total),
            "lines": [
                {
                    "product_id": str(line.product_id),
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "line_total": str(line.line_total),
                }
                for line in lines
            ],
        },
        customer_id=order.customer_id,
    )
    add_entry(
        session,
        order.customer_id,
        "core.order_placed",
        f"Order placed{where}",
        summary=f"{items} item{'s' * (items != 1)}, {total}",
        data={
            "source": order.source.value,
            "external_id": order.external_id,
            "store_code": order.store_code,
            "currency": order.currency,
            "total": str(order.total),
        },
        occurred_at=order.placed_at,
        ref_type="Order",
        ref_id=order.id,
    )
