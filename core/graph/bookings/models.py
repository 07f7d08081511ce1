from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin
from unicrm.core.db.types import text_enum


class ResourceKind(StrEnum):
    TABLE = "table"
    TECHNICIAN = "technician"
    SERVICE_BAY = "service_bay"
    DEMO_CAR = "demo_car"


class BookingKind(StrEnum):
    TABLE = "table"
    TEST_DRIVE = "test_drive"
    STORE_VISIT = "store_visit"
    TECHNICIAN_VISIT = "technician_visit"


class BookingStatus(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


HOLDING = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
"""Statuses whose booking holds its units in its slots."""


class BookingResource(IdMixin, TimestampMixin, Base):
    """Something of a store that is booked by the slot: a table, technician, bay or demo car.

    ``capacity`` is how many units (seats, cars, jobs) one slot holds. ``bookable_hours`` has
    the shape of ``Store.opening_hours``; None means the store's opening hours.
    """

    __tablename__ = "booking_resource"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 1440", name="slot_minutes_range"),
    )

    store_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("store.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[ResourceKind] = mapped_column(text_enum(ResourceKind))
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    slot_minutes: Mapped[int]
    bookable_hours: Mapped[list | None]
    active: Mapped[bool] = mapped_column(default=True)


class BookingSlot(Base):
    """Units taken in one slot of a resource. Booking raises ``used`` with a conditional
    UPDATE (``used + n <= capacity``), so concurrent bookings never overfill a slot."""

    __tablename__ = "booking_slot"
    __table_args__ = (CheckConstraint("used >= 0", name="used_not_negative"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("booking_resource.id", ondelete="CASCADE"), primary_key=True
    )
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    used: Mapped[int] = mapped_column(default=0)


class Booking(IdMixin, TimestampMixin, Base):
    """A customer's booking of ``units`` of a resource over whole slots ``[starts_at, ends_at)``.

    ``remind_at`` is when a reminder is due and ``reminded_at`` when one went out; the sending
    goes through the messaging contact policy.
    """

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_booking_store_starts", "store_id", "starts_at", "id"),
        Index("ix_booking_resource_starts", "resource_id", "starts_at"),
        Index("ix_booking_customer_starts", "customer_id", "starts_at", "id"),
        Index("ix_booking_status_starts", "status", "starts_at"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("booking_resource.id", ondelete="RESTRICT")
    )
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="RESTRICT"))
    kind: Mapped[BookingKind] = mapped_column(text_enum(BookingKind))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    units: Mapped[int]
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[BookingStatus] = mapped_column(text_enum(BookingStatus))
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]


class BookingHistory(IdMixin, Base):
    """One status change of a booking: from, to, who (a user, or None for the system), when."""

    __tablename__ = "booking_history"

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[BookingStatus | None] = mapped_column(text_enum(BookingStatus))
    to_status: Mapped[BookingStatus] = mapped_column(text_enum(BookingStatus))
    changed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    actor: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime]
