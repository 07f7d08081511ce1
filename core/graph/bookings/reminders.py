"""Booking reminders, sent through the contact policy like every message.

A booking gets ``remind_at`` when it is made (``commerce.booking_reminder_minutes`` before its
start). The reminder job (every five minutes) sends the due ones by e-mail with the template
``booking_reminder``, as service messages (no marketing consent needed; suppressions
and quiet hours still apply, and a refused send is recorded as a blocked message). Reminders
are off until an administrator defines that template for the channel; due bookings then wait,
and go out once it exists as long as they have not started.

Each booking's message is keyed ``booking-reminder:<booking id>``, so a re-run sends nothing
twice; ``reminded_at`` records that the reminder was handled.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.graph.bookings.models import Booking, BookingResource, BookingStatus
from unicrm.core.graph.stores.models import Store
from unicrm.core.messaging.models import MessagePurpose, MessageTemplate
from unicrm.core.messaging.services import send

TEMPLATE = "booking_reminder"
BATCH = 200

log = logging.getLogger("unicrm.bookings")


def reminder_variables(booking: Booking, resource: BookingResource, store: Store) -> dict:
    """What a ``booking_reminder`` template sees as ``booking`` (times in the store's zone)."""
    zone = ZoneInfo(store.timezone)
    return {
        "starts_at": booking.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "ends_at": booking.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "kind": booking.kind.value,
        "units": booking.units,
        "resource": resource.name,
        "store": store.name,
        "store_code": store.code,
    }


async def send_due_reminders(
    session: AsyncSession, *, channel: str, now: datetime | None = None
) -> int:
    """Send the reminders due at ``now``; returns how many bookings were handled."""
    moment = now or utcnow()
    defined = await session.scalar(
        select(exists().where(MessageTemplate.key == TEMPLATE, MessageTemplate.channel == channel))
    )
    if not defined:
        return 0
    due = (
        await session.execute(
            select(Booking, BookingResource, Store)
            .join(BookingResource, BookingResource.id == Booking.resource_id)
            .join(Store, Store.id == Booking.store_id)
            .where(
                Booking.status.in_((BookingStatus.REQUESTED, BookingStatus.CONFIRMED)),
                Booking.remind_at <= moment,
                Booking.reminded_at.is_(None),
                Booking.starts_at > moment,
            )
            .order_by(Booking.remind_at)
            .limit(BATCH)
            .with_for_update(of=Booking, skip_locked=True)
        )
    ).all()
    for booking, resource, store in due:
        await _remind(session, booking, channel, reminder_variables(booking, resource, store))
        booking.reminded_at = moment
    await session.flush()
    return len(due)


async def _remind(session: AsyncSession, booking: Booking, channel: str, variables: Any) -> None:
    try:
        async with session.begin_nested():
            await send(
                session,
                customer_id=booking.customer_id,
                channel=channel,
                purpose=MessagePurpose.SERVICE,
                template=TEMPLATE,
                sender_key=f"booking-reminder:{booking.id}",
                context={"booking": variables},
            )
    except DomainError as error:  # a template that does not fit: said once, not retried
        codes = ",".join(e.code for e in error.errors)
        log.warning("booking %s: the reminder could not be rendered (%s)", booking.id, codes)
