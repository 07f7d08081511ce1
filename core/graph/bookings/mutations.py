from __future__ import annotations

from datetime import timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.bookings import models, services
from unicrm.core.graph.bookings.types import (
    Booking,
    BookingCreateInput,
    BookingError,
    BookingErrorCode,
    BookingPayload,
    BookingResource,
    BookingResourceCreateInput,
    BookingResourcePayload,
    BookingResourceUpdateInput,
    BookingStatusInput,
)
from unicrm.core.graph.customers.services import UNSET
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.stores.types import to_intervals

Status = models.BookingStatus


def _resource(row: models.BookingResource) -> dict:
    return {"resource": BookingResource.from_row(row)}


def _booking(row: models.Booking) -> dict:
    return {"booking": Booking.from_row(row)}


def _given(value: object) -> object:
    return UNSET if value is strawberry.UNSET else value


async def _resource_mutation(info: strawberry.Info, work) -> BookingResourcePayload:
    return await mutate(
        info,
        work,
        payload=BookingResourcePayload,
        error_type=BookingError,
        codes=BookingErrorCode,
        result=_resource,
    )


async def _status(info: strawberry.Info, input: BookingStatusInput, to: Status) -> BookingPayload:
    stores = services.allowed_stores(info.context, "write")

    async def work(session: AsyncSession) -> models.Booking:
        booking_id = decode_id(input.id, "Booking")
        return await services.change_status(session, booking_id, to, stores=stores)

    return await mutate(
        info,
        work,
        payload=BookingPayload,
        error_type=BookingError,
        codes=BookingErrorCode,
        result=_booking,
    )


@strawberry.type
class BookingMutation:
    @strawberry.mutation(
        metadata=requires("core.booking:write"), description="Add a bookable resource to a store."
    )
    async def booking_resource_create(
        self, info: strawberry.Info, input: BookingResourceCreateInput
    ) -> BookingResourcePayload:
        stores = services.allowed_stores(info.context, "write")

        async def work(session: AsyncSession) -> models.BookingResource:
            data = services.ResourceData(
                store_id=decode_id(input.store_id, "Store", "store_id"),
                kind=input.kind,
                name=input.name,
                capacity=input.capacity,
                slot_minutes=input.slot_minutes,
                bookable_hours=None
                if input.bookable_hours is None
                else to_intervals(input.bookable_hours),
                active=input.active,
            )
            return await services.save_resource(session, None, data, stores)

        return await _resource_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.booking:write"),
        description="Change a resource; omitted fields stay as they are. Existing bookings keep "
        "their slots.",
    )
    async def booking_resource_update(
        self, info: strawberry.Info, input: BookingResourceUpdateInput
    ) -> BookingResourcePayload:
        stores = services.allowed_stores(info.context, "write")

        async def work(session: AsyncSession) -> models.BookingResource:
            hours = input.bookable_hours
            data = services.ResourceData(
                name=_given(input.name),
                capacity=_given(input.capacity),
                slot_minutes=_given(input.slot_minutes),
                bookable_hours=UNSET
                if hours is strawberry.UNSET
                else (None if hours is None else to_intervals(hours)),
                active=_given(input.active),
            )
            for name in ("name", "capacity", "slot_minutes", "active"):
                if getattr(data, name) is None:
                    setattr(data, name, UNSET)
            resource_id = decode_id(input.id, "BookingResource")
            return await services.save_resource(session, resource_id, data, stores)

        return await _resource_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.booking:write"),
        description="Book whole slots of a resource for a customer; the booking is requested. "
        "A full slot, a slot in the past, outside bookable hours or misaligned is an error.",
    )
    async def booking_create(
        self, info: strawberry.Info, input: BookingCreateInput
    ) -> BookingPayload:
        ctx = info.context
        stores = services.allowed_stores(ctx, "write")
        reminder = timedelta(minutes=ctx.settings.commerce.booking_reminder_minutes)

        async def work(session: AsyncSession) -> models.Booking:
            data = services.BookingData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                resource_id=decode_id(input.resource_id, "BookingResource", "resource_id"),
                kind=input.kind,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                units=input.units,
                notes=input.notes,
            )
            return await services.create_booking(session, data, stores=stores, reminder=reminder)

        return await mutate(
            info,
            work,
            payload=BookingPayload,
            error_type=BookingError,
            codes=BookingErrorCode,
            result=_booking,
        )

    @strawberry.mutation(
        metadata=requires("core.booking:write"), description="requested → confirmed."
    )
    async def booking_confirm(
        self, info: strawberry.Info, input: BookingStatusInput
    ) -> BookingPayload:
        return await _status(info, input, Status.CONFIRMED)

    @strawberry.mutation(
        metadata=requires("core.booking:write"),
        description="confirmed → checked in: the customer arrived (before the booking ends).",
    )
    async def booking_check_in(
        self, info: strawberry.Info, input: BookingStatusInput
    ) -> BookingPayload:
        return await _status(info, input, Status.CHECKED_IN)

    @strawberry.mutation(
        metadata=requires("core.booking:write"),
        description="Cancel a requested or confirmed booking; its slots are freed.",
    )
    async def booking_cancel(
        self, info: strawberry.Info, input: BookingStatusInput
    ) -> BookingPayload:
        return await _status(info, input, Status.CANCELLED)

    @strawberry.mutation(
        metadata=requires("core.booking:write"),
        description="confirmed → no-show, once the booking has begun; its slots are freed.",
    )
    async def booking_mark_no_show(
        self, info: strawberry.Info, input: BookingStatusInput
    ) -> BookingPayload:
        return await _status(info, input, Status.NO_SHOW)


MUTATION = BookingMutation
