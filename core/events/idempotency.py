"""Making a handler's effects happen once per event.

Delivery is at-least-once. A handler's database writes commit together with its delivery's
``delivered`` mark, so they happen once per delivery; but the same effect can still be
reached twice: an admin retries a delivery whose first run did commit elsewhere, two
handlers (or a handler and a job) lead to the same effect, or an effect leaves the database
(an e-mail, a call to another system) before a later step fails. Guard such an effect:

    async def award_points(event: Event, session: AsyncSession) -> None:
        if not await once(session, event, "loyalty.order_points"):
            return  # already done for this event
        ...

``once`` records ``(scope, event id)`` in the caller's transaction. It returns True the
first time and False ever after; if the transaction rolls back, the record goes with it, so
a failed attempt does not count. For calls to other systems, also pass the event id as
their idempotency key.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.events.models import EventEffect
from unicrm.core.events.outbox import Event


async def once(session: AsyncSession, event: Event, scope: str) -> bool:
    """True the first time ``scope`` is claimed for ``event`` (in this transaction), else False."""
    taken = await session.scalar(
        select(EventEffect.scope).where(
            EventEffect.scope == scope, EventEffect.event_id == event.id
        )
    )
    if taken is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(EventEffect(scope=scope, event_id=event.id))
    except IntegrityError:  # a concurrent delivery claimed it first
        return False
    return True
