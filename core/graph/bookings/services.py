"""Bookings: resources with slot capacity, bookings over whole slots, and their statuses.

Capacity is held per slot in ``booking_slot``: a booking raises ``used`` in each of its
slots with a conditional UPDATE (``used + units <= capacity``), one slot after the other in
time order, so concurrent bookings of the last seats admit exactly the capacity and never
deadlock. Cancelling or marking a no-show gives the units back.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, Select, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import ALL, DEPARTMENT
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.bookings.models import (
    HOLDING,
    Booking,
    BookingHistory,
    BookingKind,
    BookingResource,
    BookingSlot,
    BookingStatus,
    ResourceKind,
)
from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.customers.services import UNSET
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.stores import hours
from unicrm.core.graph.stores.models import Store, StoreStaff

MAX_CAPACITY = 10_000
MAX_NOTES = 2000
MAX_AVAILABILITY_DAYS = 31

FITS: dict[BookingKind, frozenset[ResourceKind]] = {
    BookingKind.TABLE: frozenset({ResourceKind.TABLE}),
    BookingKind.TEST_DRIVE: frozenset({ResourceKind.DEMO_CAR}),
    BookingKind.TECHNICIAN_VISIT: frozenset({ResourceKind.TECHNICIAN, ResourceKind.SERVICE_BAY}),
    BookingKind.STORE_VISIT: frozenset(ResourceKind),
}
"""Which resources each kind of booking may take."""

NEXT: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.REQUESTED: frozenset({BookingStatus.CONFIRMED, BookingStatus.CANCELLED}),
    BookingStatus.CONFIRMED: frozenset(
        {BookingStatus.CHECKED_IN, BookingStatus.CANCELLED, BookingStatus.NO_SHOW}
    ),
    BookingStatus.CHECKED_IN: frozenset(),
    BookingStatus.NO_SHOW: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
}
"""The status changes a booking allows: requested → confirmed → checked in, or no-show or
cancelled; the last three are final."""


def allowed_stores(ctx: Any, action: str = "read") -> Select[Any] | None:
    """The stores whose bookings and resources the actor may see or change, as a select of
    store ids; None when every store is allowed (scope ``all`` or ``department``, or no
    authorizer). The ``own`` and ``team`` scopes mean the stores the user works at."""
    access = getattr(ctx, "access", None)
    if access is None:
        return None
    scope = access.scope("core.booking", action)
    if scope in (ALL, DEPARTMENT):
        return None
    user_id = ctx.actor.user_id
    mine = select(StoreStaff.store_id)
    if scope is None or user_id is None:
        return mine.where(false())
    return mine.where(StoreStaff.user_id == user_id)


def visible_bookings(ctx: Any) -> ColumnElement[bool] | None:
    stores = allowed_stores(ctx)
    return None if stores is None else Booking.store_id.in_(stores)


async def _check_store(
    session: AsyncSession, store_id: uuid.UUID, stores: Select[Any] | None, field: str
) -> None:
    if stores is None:
        return
    if store_id not in set((await session.scalars(stores)).all()):
        raise DomainError.single("NOT_FOUND", "no such store among yours", field)


def _actor(session: AsyncSession) -> tuple[uuid.UUID | None, str | None]:
    actor = session.info.get("actor")
    return getattr(actor, "user_id", None), getattr(actor, "name", None)


@dataclass
class ResourceData:
    """The editable fields of a resource; ``UNSET`` leaves a field as it is on update."""

    store_id: uuid.UUID = UNSET
    kind: ResourceKind = UNSET
    name: str = UNSET
    capacity: int = UNSET
    slot_minutes: int = UNSET
    bookable_hours: Sequence[hours.Interval] | None = UNSET
    active: bool = UNSET


def _resource_errors(row: BookingResource) -> list[FieldError]:
    errors: list[FieldError] = []
    row.name = " ".join((row.name or "").split())
    if not row.name:
        errors.append(FieldError("REQUIRED", "a resource needs a name", "name"))
    elif len(row.name) > 200:
        errors.append(FieldError("TOO_LONG", "at most 200 characters", "name"))
    if not 1 <= row.capacity <= MAX_CAPACITY:
        errors.append(FieldError("INVALID", f"capacity is 1 to {MAX_CAPACITY}", "capacity"))
    if not 5 <= row.slot_minutes <= 1440:
        errors.append(FieldError("INVALID", "a slot is 5 to 1440 minutes", "slot_minutes"))
    return errors


async def save_resource(
    session: AsyncSession,
    resource_id: uuid.UUID | None,
    data: ResourceData,
    stores: Select[Any] | None = None,
) -> BookingResource:
    """Create (``resource_id`` None) or update a resource at a store the actor may manage."""
    if resource_id is None:
        row = BookingResource(id=uuid7(), bookable_hours=None, active=True)
    else:
        found = await session.get(BookingResource, resource_id, with_for_update=True)
        if found is None:
            raise DomainError.single("NOT_FOUND", "no such resource", "id")
        await _check_store(session, found.store_id, stores, "id")
        row = found
    for name, value in vars(data).items():
        if value is UNSET:
            continue
        if name == "bookable_hours" and value is not None:
            value = [i.as_json() for i in hours.check(value, "bookable_hours")]
        setattr(row, name, value)
    if data.store_id is not UNSET:
        if await session.get(Store, data.store_id) is None:
            raise DomainError.single("NOT_FOUND", "no such store", "store_id")
        await _check_store(session, data.store_id, stores, "store_id")
    if errors := _resource_errors(row):
        raise DomainError(*errors)
    if resource_id is None:
        session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True, slots=True)
class BookingData:
    customer_id: uuid.UUID
    resource_id: uuid.UUID
    kind: BookingKind
    starts_at: datetime
    ends_at: datetime
    units: int = 1
    notes: str | None = None


async def _resource_and_store(
    session: AsyncSession, resource_id: uuid.UUID, field: str = "resource_id"
) -> tuple[BookingResource, Store]:
    found = (
        await session.execute(
            select(BookingResource, Store)
            .join(Store, Store.id == BookingResource.store_id)
            .where(BookingResource.id == resource_id)
        )
    ).first()
    if found is None:
        raise DomainError.single("NOT_FOUND", "no such resource", field)
    return found[0], found[1]


def bookable(resource: BookingResource, store: Store) -> list[hours.Interval]:
    """The resource's own bookable hours, or its store's opening hours."""
    stored = resource.bookable_hours if resource.bookable_hours is not None else store.opening_hours
    return hours.parse(stored)


def slots_of(
    resource: BookingResource, store: Store, start: datetime, end: datetime
) -> list[datetime]:
    """The start of every whole slot of the resource that lies within ``[start, end)``."""
    step = timedelta(minutes=resource.slot_minutes)
    found: list[datetime] = []
    for opens, closes in hours.open_between(
        bookable(resource, store), ZoneInfo(store.timezone), start, end
    ):
        at = opens
        while at + step <= closes:
            if at >= start and at + step <= end:
                found.append(at)
            at += step
    return found


def _check_times(
    data: BookingData, resource: BookingResource, store: Store, now: datetime
) -> list[datetime]:
    """The slots the booking takes, or a ``DomainError`` saying why it cannot have them."""
    start, end = data.starts_at, data.ends_at
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError.single("INVALID", "times need a time zone offset", "starts_at")
    if end <= start:
        raise DomainError.single("INVALID", "a booking ends after it starts", "ends_at")
    if start < now:
        raise DomainError.single("IN_THE_PAST", "the slot has already begun", "starts_at")
    periods = hours.open_between(bookable(resource, store), ZoneInfo(store.timezone), start, end)
    period = next((p for p in periods if p[0] <= start and end <= p[1]), None)
    if period is None:
        raise DomainError.single(
            "OUTSIDE_HOURS", "the resource is not bookable for the whole time", "starts_at"
        )
    step = timedelta(minutes=resource.slot_minutes)
    if (start - period[0]) % step or (end - start) % step:
        raise DomainError.single(
            "MISALIGNED",
            f"bookings start and end on {resource.slot_minutes}-minute slots counted from "
            f"opening time ({period[0].astimezone(ZoneInfo(store.timezone)):%H:%M})",
            "starts_at",
        )
    slots, at = [], start
    while at < end:
        slots.append(at)
        at += step
    return slots


async def _take(
    session: AsyncSession, resource: BookingResource, slots: list[datetime], units: int
) -> None:
    """Raise ``used`` in each slot, in time order; a full slot is a ``DomainError`` (the
    caller's transaction rolls back the slots already taken)."""
    for at in slots:
        await insert_or_skip(
            session,
            BookingSlot,
            {"resource_id": resource.id, "starts_at": at, "used": 0},
            ("resource_id", "starts_at"),
        )
        taken = cast(
            "CursorResult[Any]",
            await session.execute(
                update(BookingSlot)
                .where(
                    BookingSlot.resource_id == resource.id,
                    BookingSlot.starts_at == at,
                    BookingSlot.used + units <= resource.capacity,
                )
                .values(used=BookingSlot.used + units)
                .execution_options(synchronize_session=False)
            ),
        )
        if taken.rowcount != 1:
            raise DomainError.single(
                "SLOT_FULL", f"the slot at {at.isoformat()} has no room for {units}", "starts_at"
            )


async def give_back(session: AsyncSession, booking: Booking) -> None:
    await session.execute(
        update(BookingSlot)
        .where(
            BookingSlot.resource_id == booking.resource_id,
            BookingSlot.starts_at >= booking.starts_at,
            BookingSlot.starts_at < booking.ends_at,
        )
        .values(used=BookingSlot.used - booking.units)
        .execution_options(synchronize_session=False)
    )


def _record(
    session: AsyncSession, booking: Booking, old: BookingStatus | None, at: datetime
) -> None:
    user_id, name = _actor(session)
    session.add(
        BookingHistory(
            id=uuid7(),
            booking_id=booking.id,
            from_status=old,
            to_status=booking.status,
            changed_by=user_id,
            actor=name,
            changed_at=at,
        )
    )


async def _customer_id(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID:
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


async def create_booking(
    session: AsyncSession,
    data: BookingData,
    *,
    stores: Select[Any] | None = None,
    reminder: timedelta = timedelta(days=1),
    now: datetime | None = None,
) -> Booking:
    """Book ``units`` of a resource over whole slots; the booking starts as requested."""
    now = now or utcnow()
    errors: list[FieldError] = []
    notes = (data.notes or "").strip() or None
    if notes is not None and len(notes) > MAX_NOTES:
        errors.append(FieldError("TOO_LONG", f"at most {MAX_NOTES} characters", "notes"))
    if data.units < 1:
        errors.append(FieldError("INVALID", "book at least one unit", "units"))
    if errors:
        raise DomainError(*errors)
    resource, store = await _resource_and_store(session, data.resource_id)
    await _check_store(session, store.id, stores, "resource_id")
    if not resource.active or not store.active:
        raise DomainError.single("INACTIVE", "the resource is not bookable now", "resource_id")
    if resource.kind not in FITS[data.kind]:
        raise DomainError.single(
            "KIND_MISMATCH", f"a {resource.kind.value} cannot take a {data.kind.value}", "kind"
        )
    if data.units > resource.capacity:
        raise DomainError.single(
            "INVALID", f"the resource holds {resource.capacity} per slot", "units"
        )
    slots = _check_times(data, resource, store, now)
    customer_id = await _customer_id(session, data.customer_id)
    await _take(session, resource, slots, data.units)
    remind_at = data.starts_at - reminder
    booking = Booking(
        id=uuid7(),
        customer_id=customer_id,
        resource_id=resource.id,
        store_id=store.id,
        kind=data.kind,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        units=data.units,
        notes=notes,
        status=BookingStatus.REQUESTED,
        remind_at=remind_at if remind_at > now else None,
        reminded_at=None,
    )
    session.add(booking)
    await session.flush()
    _record(session, booking, None, now)
    await session.flush()
    return booking


async def change_status(
    session: AsyncSession,
    booking_id: uuid.UUID,
    to: BookingStatus,
    *,
    stores: Select[Any] | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking to ``to`` if its current status allows it; cancelled and no-show
    bookings give their units back. A no-show can be marked only once the booking began, and
    a check-in only before it ends."""
    now = now or utcnow()
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise DomainError.single("NOT_FOUND", "no such booking", "id")
    await _check_store(session, booking.store_id, stores, "id")
    old = booking.status
    if to not in NEXT[old]:
        raise DomainError.single(
            "INVALID_TRANSITION", f"a {old.value} booking cannot become {to.value}", "id"
        )
    if to is BookingStatus.NO_SHOW and now < booking.starts_at:
        raise DomainError.single("TOO_EARLY", "the booking has not begun yet", "id")
    if to is BookingStatus.CHECKED_IN and now >= booking.ends_at:
        raise DomainError.single("TOO_LATE", "the booking is over", "id")
    booking.status = to
    if to not in HOLDING:
        await give_back(session, booking)
    _record(session, booking, old, now)
    await session.flush()
    return booking


async def mark_no_shows(
    session: AsyncSession, after: timedelta, now: datetime | None = None
) -> int:
    """Mark confirmed bookings not checked in ``after`` their start as no-shows; how many.

    Running it again changes nothing more (only confirmed bookings are picked)."""
    now = now or utcnow()
    due = (
        await session.scalars(
            select(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED, Booking.starts_at <= now - after)
            .order_by(Booking.starts_at, Booking.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for booking in due:
        booking.status = BookingStatus.NO_SHOW
        await give_back(session, booking)
        _record(session, booking, BookingStatus.CONFIRMED, now)
    await session.flush()
    return len(due)


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    used: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.used, 0)


async def availability(
    session: AsyncSession,
    resources: Select[Any],
    start: datetime,
    end: datetime,
) -> list[tuple[BookingResource, list[Slot]]]:
    """Free capacity per slot of each resource ``resources`` selects (with its store) over
    ``[start, end)``: two statements, the resources and their taken slots."""
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise DomainError.single("INVALID", "give an aware range that ends after it starts", "from")
    if end - start > timedelta(days=MAX_AVAILABILITY_DAYS):
        raise DomainError.single("INVALID", f"at most {MAX_AVAILABILITY_DAYS} days at once", "to")
    found = (await session.execute(resources)).all()
    ids = [resource.id for resource, _ in found]
    used: dict[uuid.UUID, dict[datetime, int]] = defaultdict(dict)
    if ids:
        rows = await session.execute(
            select(BookingSlot.resource_id, BookingSlot.starts_at, BookingSlot.used).where(
                BookingSlot.resource_id.in_(ids),
                BookingSlot.starts_at >= start - timedelta(days=1),
                BookingSlot.starts_at < end,
            )
        )
        for resource_id, at, n in rows:
            used[resource_id][at] = n
    out = []
    for resource, store in found:
        step = timedelta(minutes=resource.slot_minutes)
        slots = [
            Slot(at, at + step, resource.capacity, used[resource.id].get(at, 0))
            for at in slots_of(resource, store, start, end)
        ]
        out.append((resource, slots))
    return out


def resources_with_stores() -> Select[Any]:
    return (
        select(BookingResource, Store)
        .join(Store, Store.id == BookingResource.store_id)
        .order_by(BookingResource.name, BookingResource.id)
    )


@dataclass(frozen=True, slots=True)
class BookingFilter:
    store_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    statuses: Sequence[BookingStatus] = ()
    starts_from: datetime | None = None
    starts_before: datetime | None = None


def filtered(stmt: Select[Any], f: BookingFilter) -> Select[Any]:
    if f.store_id is not None:
        stmt = stmt.where(Booking.store_id == f.store_id)
    if f.resource_id is not None:
        stmt = stmt.where(Booking.resource_id == f.resource_id)
    if f.customer_id is not None:
        stmt = stmt.where(Booking.customer_id == f.customer_id)
    if f.statuses:
        stmt = stmt.where(Booking.status.in_(f.statuses))
    if f.starts_from is not None:
        stmt = stmt.where(Booking.starts_at >= f.starts_from)
    if f.starts_before is not None:
        stmt = stmt.where(Booking.starts_at < f.starts_before)
    return stmt
