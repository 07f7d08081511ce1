"""``Customer.bookings``: batched, within the stores the actor may see."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.errors import BadRequest
from unicrm.core.graph.bookings.types import Booking
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct


@direct
async def bookings(root: Customer, info: strawberry.Info, limit: int = 10) -> list[Booking]:
    most = info.context.limits.max_page_size
    if not 0 <= limit <= most:
        raise BadRequest(f"limit must be between 0 and {most}")
    rows = await info.context.loaders["core.latest_bookings_by_customer"].load((root.pk, limit))
    return [Booking.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=bookings, description="The customer's latest bookings, by start."
            )
        ]
    }
