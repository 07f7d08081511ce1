from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.bookings.models import Booking, BookingHistory, BookingResource
from unicrm.core.graph.bookings.services import visible_bookings
from unicrm.core.graph.loaders import entities_by, latest_by, many_per_key, one_per_key


async def _bookings_by_id(
    session: AsyncSession, keys: list[Any], where: Any = None
) -> list[tuple[Any, Any]]:
    stmt = select(Booking).where(Booking.id.in_(keys))
    rows = (await session.scalars(stmt if where is None else stmt.where(where))).all()
    return [(r.id, r) for r in rows]


async def _resources_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (
        await session.scalars(select(BookingResource).where(BookingResource.id.in_(keys)))
    ).all()
    return [(r.id, r) for r in rows]


LOADERS = {
    "core.booking_by_id": one_per_key(_bookings_by_id, visible_bookings),
    "core.booking_resource_by_id": one_per_key(_resources_by_id),
    "core.history_by_booking": many_per_key(
        entities_by(BookingHistory.booking_id, BookingHistory.changed_at, BookingHistory.id)
    ),
    "core.latest_bookings_by_customer": many_per_key(
        latest_by(Booking.customer_id, Booking.starts_at.desc(), Booking.id.desc()),
        visible_bookings,
    ),
}
