"""Preferences and restrictions of a customer, and the favourites derived from their orders.

Favourites are never stored: ``favourites_of`` and ``modifiers_of`` rank a whole page of
customers' order lines in one statement each (ROW_NUMBER per customer).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.assets.services import UNSET, clean_text, owner_of
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.orders.models import Order, OrderLine, OrderStatus
from unicrm.core.graph.preferences.models import (
    CustomerPreference,
    NoteKind,
    PreferenceNote,
    PreferredChannel,
    Severity,
)

STORE_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
"""A store code as stores are keyed: ``BKK-01``; letters are upper-cased on input."""
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
"""A BCP 47 language tag such as ``th``, ``en`` or ``zh-Hant``."""
MAX_WINDOWS = 21
MAX_NOTES = 50


@dataclass(frozen=True, slots=True)
class ContactWindow:
    """A weekday (Monday 0 … Sunday 6) and a time range, in the business time zone."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class PreferenceChange:
    """Preferences to set; ``UNSET`` leaves one as it is, None clears it."""

    preferred_channel: PreferredChannel | None = UNSET
    preferred_language: str | None = UNSET
    preferred_store_code: str | None = UNSET
    contact_windows: Sequence[ContactWindow] | None = UNSET


def _window_errors(windows: Sequence[ContactWindow]) -> list[FieldError]:
    if len(windows) > MAX_WINDOWS:
        return [FieldError("INVALID", f"at most {MAX_WINDOWS} windows", "contact_windows")]
    errors = []
    for i, window in enumerate(windows):
        if not 0 <= window.weekday <= 6:
            errors.append(
                FieldError("INVALID", "weekday is 0 (Monday) to 6", f"contact_windows.{i}.weekday")
            )
        if window.end <= window.start:
            errors.append(
                FieldError("INVALID", "the end must be after the start", f"contact_windows.{i}.end")
            )
    return errors


def window_rows(windows: Sequence[ContactWindow]) -> list[dict[str, Any]]:
    ordered = sorted(set(windows), key=lambda w: (w.weekday, w.start, w.end))
    return [
        {"weekday": w.weekday, "start": w.start.strftime("%H:%M"), "end": w.end.strftime("%H:%M")}
        for w in ordered
    ]


def windows_of(row: CustomerPreference) -> list[ContactWindow]:
    return [
        ContactWindow(w["weekday"], time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
        for w in row.contact_windows
    ]


def _code_errors(change: PreferenceChange) -> tuple[dict[str, Any], list[FieldError]]:
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    if change.preferred_language not in (UNSET, None):
        language = change.preferred_language.strip()
        if not LANGUAGE.fullmatch(language) or len(language) > 16:
            errors.append(
                FieldError("INVALID", "a language tag such as th or en", "preferred_language")
            )
        values["preferred_language"] = language
    elif change.preferred_language is None:
        values["preferred_language"] = None
    if change.preferred_store_code not in (UNSET, None):
        code = change.preferred_store_code.strip().upper()
        if not STORE_CODE.fullmatch(code):
            errors.append(
                FieldError(
                    "INVALID",
                    "a store code of letters, digits, - and _ (at most 32), such as BKK-01",
                    "preferred_store_code",
                )
            )
        values["preferred_store_code"] = code
    elif change.preferred_store_code is None:
        values["preferred_store_code"] = None
    return values, errors


async def set_preferences(
    session: AsyncSession, customer_id: uuid.UUID, change: PreferenceChange
) -> CustomerPreference:
    values, errors = _code_errors(change)
    if change.preferred_channel is not UNSET:
        values["preferred_channel"] = change.preferred_channel
    if change.contact_windows is not UNSET:
        windows = change.contact_windows or ()
        errors += _window_errors(windows)
        values["contact_windows"] = window_rows(windows)
    if errors:
        raise DomainError(*errors)
    customer = await owner_of(session, customer_id)
    # the first change of two racing ones creates the row; both then update it in turn
    empty = {"customer_id": customer.id, "contact_windows": []}
    await insert_or_skip(session, CustomerPreference, empty, ("customer_id",))
    row = await session.get_one(CustomerPreference, customer.id, with_for_update=True)
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    return row


def text_key(text: str) -> str:
    return text.casefold()


@dataclass(frozen=True, slots=True)
class NoteData:
    kind: NoteKind
    text: str
    severity: Severity | None = None
    sensitive: bool = False


async def add_note(session: AsyncSession, customer_id: uuid.UUID, data: NoteData) -> PreferenceNote:
    """Add a note; allergy notes are always sensitive, and only they carry a severity."""
    text = clean_text(data.text, "text", 300)
    if text is None:
        raise DomainError.single("REQUIRED", "a note needs a text", "text")
    if data.severity is not None and data.kind is not NoteKind.ALLERGY:
        raise DomainError.single("INVALID", "only an allergy has a severity", "severity")
    customer = await owner_of(session, customer_id)
    count = await session.scalar(
        select(func.count()).where(PreferenceNote.customer_id == customer.id)
    )
    if (count or 0) >= MAX_NOTES:
        raise DomainError.single("INVALID", f"a customer has at most {MAX_NOTES} notes", "text")
    duplicate = DomainError.single("DUPLICATE", f"the customer already has {text!r}", "text")
    taken = await session.scalar(
        select(PreferenceNote.id).where(
            PreferenceNote.customer_id == customer.id,
            PreferenceNote.kind == data.kind,
            PreferenceNote.text_key == text_key(text),
        )
    )
    if taken is not None:
        raise duplicate
    actor = session.info.get("actor")
    note = PreferenceNote(
        id=uuid7(),
        customer_id=customer.id,
        kind=data.kind,
        text=text,
        text_key=text_key(text),
        severity=data.severity,
        sensitive=data.sensitive or data.kind is NoteKind.ALLERGY,
        created_by=getattr(actor, "name", None),
    )
    session.add(note)
    try:
        await session.flush()
    except IntegrityError:
        raise duplicate from None
    return note


async def remove_note(
    session: AsyncSession, customer_id: uuid.UUID, note_id: uuid.UUID
) -> Customer:
    customer = await owner_of(session, customer_id)
    removed = await session.execute(
        delete(PreferenceNote).where(
            PreferenceNote.id == note_id, PreferenceNote.customer_id == customer.id
        )
    )
    if not removed.rowcount:
        raise DomainError.single("NOT_FOUND", "the customer has no such note", "id")
    return customer


def _top(grouped: Any, order_by: Sequence[Any], limit: int) -> Select[Any]:
    """The first ``limit`` rows of each customer of the ``grouped`` subquery."""
    rank = func.row_number().over(partition_by=grouped.c.customer_id, order_by=order_by)
    ranked = select(grouped, rank.label("rank")).subquery()
    columns = [c for c in ranked.c if c.key != "rank"]
    return (
        select(*columns).where(ranked.c.rank <= limit).order_by(ranked.c.customer_id, ranked.c.rank)
    )


def favourites_of(customer_ids: Sequence[uuid.UUID], limit: int) -> Select[Any]:
    """Each customer's ``limit`` favourite products: most items bought, then most orders, then
    most recently bought, from placed (not cancelled or refunded) orders."""
    grouped = (
        select(
            Order.customer_id,
            OrderLine.product_id,
            func.sum(OrderLine.quantity).label("quantity"),
            func.count(func.distinct(Order.id)).label("orders"),
            func.max(Order.placed_at).label("last_bought_at"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.customer_id.in_(customer_ids), Order.status == OrderStatus.PLACED)
        .group_by(Order.customer_id, OrderLine.product_id)
        .subquery()
    )
    c = grouped.c
    return _top(
        grouped, [c.quantity.desc(), c.orders.desc(), c.last_bought_at.desc(), c.product_id], limit
    )


def modifiers_of(dialect: str, customer_ids: Sequence[uuid.UUID], limit: int) -> Select[Any]:
    """Each customer's ``limit`` most used order-line modifiers ("no coriander"), compared
    case-insensitively, counted once per order line, from placed orders."""
    each = (
        func.json_array_elements_text(OrderLine.modifiers)
        if dialect == "postgresql"
        else func.json_each(OrderLine.modifiers)
    ).table_valued("value")
    modifier = func.lower(each.c.value)
    grouped = (
        select(
            Order.customer_id,
            modifier.label("modifier"),
            func.count().label("times"),
            func.max(Order.placed_at).label("last_used_at"),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(each, func.length(each.c.value) > 0)
        .where(Order.customer_id.in_(customer_ids), Order.status == OrderStatus.PLACED)
        .group_by(Order.customer_id, modifier)
        .subquery()
    )
    c = grouped.c
    return _top(grouped, [c.times.desc(), c.last_used_at.desc(), c.modifier], limit)
