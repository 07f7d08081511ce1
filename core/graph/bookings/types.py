from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.bookings import models
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.graph.stores.types import OpeningInterval, OpeningIntervalInput, Store

ResourceKind = strawberry.enum(models.ResourceKind, description="What a resource is.")
BookingKind = strawberry.enum(models.BookingKind, description="What a booking is for.")
BookingStatus = strawberry.enum(
    models.BookingStatus,
    description="requested → confirmed → checked in, or no-show or cancelled (final).",
)


@guard("core.booking")
@strawberry.type(
    name="BookingResource",
    description="Something of a store booked by the slot: a table, technician, bay or demo car.",
)
class BookingResource(Node):
    pk: strawberry.Private[uuid.UUID]
    store_pk: strawberry.Private[uuid.UUID]
    kind: ResourceKind
    name: str
    capacity: int = strawberry.field(description="Units (seats, cars, jobs) one slot holds.")
    slot_minutes: int
    bookable_hours: list[OpeningInterval] | None = strawberry.field(
        description="Null: the store's opening hours."
    )
    active: bool

    @classmethod
    def from_row(cls, row: models.BookingResource) -> BookingResource:
        return cls(
            id=strawberry.ID(to_global_id("BookingResource", row.id)),
            pk=row.id,
            store_pk=row.store_id,
            kind=row.kind,
            name=row.name,
            capacity=row.capacity,
            slot_minutes=row.slot_minutes,
            bookable_hours=None
            if row.bookable_hours is None
            else OpeningInterval.from_stored(row.bookable_hours),
            active=row.active,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> BookingResource | None:
        return await load_one(info, "core.booking_resource_by_id", pk, cls.from_row)

    @strawberry.field
    @direct
    async def store(self, info: strawberry.Info) -> Store | None:
        return await Store.load_node(info, self.store_pk)


@guard("core.booking")
@strawberry.type(description="One status change of a booking.")
class BookingStatusChange:
    from_status: BookingStatus | None
    to_status: BookingStatus
    changed_at: datetime
    actor: str | None = strawberry.field(description="Who changed it; null: the system.")


@guard("core.booking")
@strawberry.type(name="Booking", description="A customer's booking of whole slots of a resource.")
class Booking(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    resource_pk: strawberry.Private[uuid.UUID]
    store_pk: strawberry.Private[uuid.UUID]
    kind: BookingKind
    starts_at: datetime
    ends_at: datetime
    units: int = strawberry.field(description="Party size, seats or units taken per slot.")
    notes: str | None = strawberry.field(metadata={"pii": "profile"})
    status: BookingStatus
    remind_at: datetime | None = strawberry.field(description="When a reminder is due.")
    reminded_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Booking) -> Booking:
        return cls(
            id=strawberry.ID(to_global_id("Booking", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            resource_pk=row.resource_id,
            store_pk=row.store_id,
            kind=row.kind,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            units=row.units,
            notes=row.notes,
            status=row.status,
            remind_at=row.remind_at,
            reminded_at=row.reminded_at,
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Booking | None:
        return await load_one(info, "core.booking_by_id", pk, cls.from_row)

    @strawberry.field
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)

    @strawberry.field
    @direct
    async def resource(self, info: strawberry.Info) -> BookingResource | None:
        return await BookingResource.load_node(info, self.resource_pk)

    @strawberry.field
    @direct
    async def store(self, info: strawberry.Info) -> Store | None:
        return await Store.load_node(info, self.store_pk)

    @strawberry.field(description="Every status change, oldest first.")
    @direct
    async def history(self, info: strawberry.Info) -> list[BookingStatusChange]:
        rows = await info.context.loaders["core.history_by_booking"].load(self.pk)
        return [
            BookingStatusChange(
                from_status=r.from_status,
                to_status=r.to_status,
                changed_at=r.changed_at,
                actor=r.actor,
            )
            for r in rows
        ]


@guard("core.booking")
@strawberry.type(description="One slot of a resource and how much of it is free.")
class SlotAvailability:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    free: int


@guard("core.booking")
@strawberry.type(description="The slots of one resource over a range.")
class ResourceAvailability:
    resource: BookingResource
    slots: list[SlotAvailability]


@strawberry.input
class BookingFilterInput:
    store_id: strawberry.ID | None = None
    resource_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    statuses: list[BookingStatus] = strawberry.field(default_factory=list)
    starts_from: datetime | None = None
    starts_before: datetime | None = None


@strawberry.enum
class BookingErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    OVERLAP = "overlap"
    INACTIVE = "inactive"
    KIND_MISMATCH = "kind_mismatch"
    IN_THE_PAST = "in_the_past"
    OUTSIDE_HOURS = "outside_hours"
    MISALIGNED = "misaligned"
    SLOT_FULL = "slot_full"
    INVALID_TRANSITION = "invalid_transition"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"


@strawberry.type
class BookingError:
    field: str | None
    code: BookingErrorCode
    message: str


@strawberry.input
class BookingResourceCreateInput:
    store_id: strawberry.ID
    kind: ResourceKind
    name: str
    capacity: int = 1
    slot_minutes: int = 60
    bookable_hours: list[OpeningIntervalInput] | None = strawberry.field(
        default=None, description="Null: the store's opening hours."
    )
    active: bool = True


@strawberry.input
class BookingResourceUpdateInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET
    slot_minutes: int | None = strawberry.UNSET
    bookable_hours: list[OpeningIntervalInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Null: back to the store's opening hours."
    )
    active: bool | None = strawberry.UNSET


@strawberry.type
class BookingResourcePayload:
    errors: list[BookingError]
    resource: BookingResource | None = None


@strawberry.input
class BookingCreateInput:
    customer_id: strawberry.ID
    resource_id: strawberry.ID
    kind: BookingKind
    starts_at: datetime
    ends_at: datetime
    units: int = strawberry.field(default=1, description="Party size or units per slot.")
    notes: str | None = None


@strawberry.input
class BookingStatusInput:
    id: strawberry.ID


@strawberry.type
class BookingPayload:
    errors: list[BookingError]
    booking: Booking | None = None
