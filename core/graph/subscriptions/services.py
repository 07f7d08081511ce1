"""Which live events a subscriber receives."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql.elements import False_

from unicrm.core.events.outbox import Event
from unicrm.core.events.types import matches
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.customers.services import visible_to


async def customer_visible(ctx: Any, customer_id: uuid.UUID) -> bool:
    """Whether the subscriber of ``ctx`` may see the customer (their ``core.customer`` row
    scope, decided now: a narrowed scope applies from the next event on)."""
    scope = visible_to(ctx)
    if scope is None:
        return True
    if isinstance(scope, False_):
        return False
    async with ctx.db.session() as session:
        found = await session.scalar(select(Customer.id).where(Customer.id == customer_id, scope))
    return found is not None


def selected(event: Event, patterns: list[str] | None) -> bool:
    """Whether ``event`` is one of the types asked for (all of them without patterns)."""
    return patterns is None or any(matches(p, event.type) for p in patterns)
