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
from unicrm.core.graph.timeline.models import TimelineEntry


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


CUSTOMER_CHANGES = ("customer.*", "consent.changed")
"""The events that change a customer's own record (contacts, tags, identities, consents...)."""


def changes_customer(event: Event, customer_id: uuid.UUID) -> bool:
    return event.customer_id == customer_id and any(
        matches(p, event.type) for p in CUSTOMER_CHANGES
    )


async def current_customer(ctx: Any, customer_id: uuid.UUID) -> Customer | None:
    """The customer as stored now (read afresh, never from a request's loader cache)."""
    async with ctx.db.session() as session:
        return await session.get(Customer, customer_id, populate_existing=True)


async def latest_entry_id(ctx: Any, customer_id: uuid.UUID) -> uuid.UUID | None:
    async with ctx.db.session() as session:
        return await session.scalar(  # no max() of uuid on PostgreSQL
            select(TimelineEntry.id)
            .where(TimelineEntry.customer_id == customer_id)
            .order_by(TimelineEntry.id.desc())
            .limit(1)
        )


async def entries_after(
    ctx: Any, customer_id: uuid.UUID, after: uuid.UUID | None
) -> list[TimelineEntry]:
    """The customer's timeline entries written after ``after`` (ids are time-ordered)."""
    stmt = select(TimelineEntry).where(TimelineEntry.customer_id == customer_id)
    if after is not None:
        stmt = stmt.where(TimelineEntry.id > after)
    async with ctx.db.session() as session:
        return list(await session.scalars(stmt.order_by(TimelineEntry.id)))


def selected(event: Event, patterns: list[str] | None) -> bool:
    """Whether ``event`` is one of the types asked for (all of them without patterns)."""
    return patterns is None or any(matches(p, event.type) for p in patterns)
