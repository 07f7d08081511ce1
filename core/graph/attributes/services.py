"""Declaring custom attributes and setting their values on customers, checked by type."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.attributes.models import AttributeDefinition, AttributeType
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.customers.services import get_customer
from unicrm.core.graph.timeline.services import add_entry

KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_CHOICES = 100
MAX_TEXT = 1000


@dataclass(frozen=True, slots=True)
class Definition:
    key: str
    label: str
    type: AttributeType
    choices: Sequence[str] = ()


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _definition_errors(d: Definition) -> list[FieldError]:
    errors: list[FieldError] = []
    if not KEY.fullmatch(d.key):
        errors.append(
            FieldError(
                "INVALID", "key is up to 64 of a-z, 0-9 and _, starting with a letter", "key"
            )
        )
    if not d.label:
        errors.append(FieldError("REQUIRED", "label is required", "label"))
    elif len(d.label) > 200:
        errors.append(FieldError("TOO_LONG", "label has at most 200 characters", "label"))
    if d.type is AttributeType.CHOICE:
        if not d.choices:
            errors.append(FieldError("REQUIRED", "a choice attribute needs choices", "choices"))
        elif (
            len(d.choices) > MAX_CHOICES
            or len(set(d.choices)) != len(d.choices)
            or not all(0 < len(c) <= 100 for c in d.choices)
        ):
            errors.append(
                FieldError(
                    "INVALID",
                    f"up to {MAX_CHOICES} distinct choices of 1 to 100 characters",
                    "choices",
                )
            )
    elif d.choices:
        errors.append(FieldError("INVALID", "only choice attributes have choices", "choices"))
    return errors


async def define_attribute(session: AsyncSession, data: Definition) -> AttributeDefinition:
    """Declare an attribute, or change the label and choices of one already declared.

    Its type never changes: values already stored were checked against it.
    """
    data = Definition(
        key=data.key.strip(),
        label=_clean(data.label),
        type=data.type,
        choices=tuple(_clean(c) for c in data.choices),
    )
    errors = _definition_errors(data)
    if errors:
        raise DomainError(*errors)
    row = await session.scalar(
        select(AttributeDefinition).where(AttributeDefinition.key == data.key).with_for_update()
    )
    if row is None:
        row = AttributeDefinition(id=uuid7(), key=data.key, type=data.type)
        session.add(row)
    elif row.type is not data.type:
        raise DomainError.single(
            "TYPE_CHANGE", f"{data.key} is a {row.type.value} attribute; its type is fixed", "type"
        )
    row.label = data.label
    row.choices = list(data.choices)
    try:
        await session.flush()
    except IntegrityError:
        raise DomainError.single(
            "DUPLICATE", f"{data.key} was defined at the same time; try again", "key"
        ) from None
    return row


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(repr(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return (
        {"true": True, "false": False}.get(value.strip().lower())
        if isinstance(value, str)
        else None
    )


def _date(value: Any) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def coerce(definition: AttributeDefinition, value: Any) -> Any:
    """The value to store for ``definition``, or None when ``value`` does not fit its type.

    Numbers and booleans may come as strings (``"42"``, ``"true"``); dates as ``YYYY-MM-DD``.
    """
    kind = definition.type
    if kind is AttributeType.STRING:
        return value if isinstance(value, str) and len(value) <= MAX_TEXT else None
    if kind is AttributeType.NUMBER:
        return _number(value)
    if kind is AttributeType.BOOLEAN:
        return _boolean(value)
    if kind is AttributeType.DATE:
        return _date(value)
    return value if isinstance(value, str) and value in definition.choices else None


def _expected(definition: AttributeDefinition) -> str:
    if definition.type is AttributeType.CHOICE:
        return "one of " + ", ".join(definition.choices)
    if definition.type is AttributeType.DATE:
        return "a date (YYYY-MM-DD)"
    if definition.type is AttributeType.STRING:
        return f"a text of at most {MAX_TEXT} characters"
    return f"a {definition.type.value}"


async def set_attributes(
    session: AsyncSession, customer_id: uuid.UUID, values: Sequence[tuple[str, Any]]
) -> Customer:
    """Set (or, with a null value, clear) declared attributes of a customer, all or none."""
    try:
        customer = await get_customer(session, customer_id, for_update=True)
    except DomainError:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id") from None
    keys = {key for key, _ in values}
    definitions = {
        d.key: d
        for d in await session.scalars(
            select(AttributeDefinition).where(AttributeDefinition.key.in_(keys))
        )
    }
    errors: list[FieldError] = []
    before = dict(customer.attributes or {})
    stored = dict(before)
    seen: set[str] = set()
    for i, (key, value) in enumerate(values):
        at = f"attributes.{i}"
        definition = definitions.get(key)
        if key in seen:
            errors.append(FieldError("INVALID", f"{key} is given twice", f"{at}.key"))
        elif definition is None:
            errors.append(FieldError("UNKNOWN_ATTRIBUTE", f"no attribute {key!r}", f"{at}.key"))
        elif value is None:
            stored.pop(key, None)
        elif (checked := coerce(definition, value)) is None:
            errors.append(
                FieldError("INVALID_VALUE", f"{key} must be {_expected(definition)}", f"{at}.value")
            )
        else:
            stored[key] = checked
        seen.add(key)
    if errors:
        raise DomainError(*errors)
    if stored != before:
        changed = sorted(k for k in keys if stored.get(k) != before.get(k))
        customer.attributes = stored
        customer.version += 1
        await session.flush()
        emit(session, "customer.updated", {"fields": ["attributes"]}, customer_id=customer.id)
        add_entry(
            session,
            customer.id,
            "core.attributes_changed",
            "Attributes changed: " + ", ".join(changed),
            data={"keys": changed},
        )
    return customer
