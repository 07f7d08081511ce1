"""A customer's bookings in a DSAR export; erasure deletes them and frees their slots."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.bookings.models import HOLDING, Booking, BookingHistory
from unicrm.core.graph.bookings.services import give_back
from unicrm.core.privacy.rows import erase_rows, export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    history = select(BookingHistory).join(Booking).where(Booking.customer_id == customer_id)
    return {
        "bookings": await export_rows(session, Booking, customer_id, [Booking.starts_at]),
        "booking_history": [
            {
                "booking_id": str(h.booking_id),
                "from": h.from_status,
                "to": h.to_status,
                "changed_at": h.changed_at.isoformat(),
            }
            for h in await session.scalars(history.order_by(BookingHistory.changed_at))
        ],
    }


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    holding = await session.scalars(
        select(Booking).where(Booking.customer_id == customer_id, Booking.status.in_(HOLDING))
    )
    for booking in holding:
        await give_back(session, booking)
    await erase_rows(session, Booking, customer_id)
