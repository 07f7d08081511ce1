"""Event deliveries as admins see them: listing, filtering and retrying dead ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.models import DeliveryStatus, EventDelivery


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    status: DeliveryStatus | None = None
    handler: str | None = None
    event_type: str | None = None


def filtered(where: DeliveryFilter) -> Select[Any]:
    stmt = select(EventDelivery)
    if where.status is not None:
        stmt = stmt.where(EventDelivery.status == where.status)
    if where.handler is not None:
        stmt = stmt.where(EventDelivery.handler == where.handler)
    if where.event_type is not None:
        stmt = stmt.where(EventDelivery.event_type == where.event_type)
    return stmt


async def latest(session: AsyncSession, where: DeliveryFilter, limit: int) -> list[EventDelivery]:
    """The newest ``limit`` deliveries matching ``where``."""
    stmt = filtered(where).order_by(EventDelivery.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def retry_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> EventDelivery:
    """Make a dead (or waiting) delivery due now, with a fresh set of attempts."""
    row = await session.get(EventDelivery, delivery_id, with_for_update=True)
    if row is None:
        raise DomainError(FieldError("NOT_FOUND", "no such event delivery", "id"))
    if row.status is DeliveryStatus.DELIVERED:
        raise DomainError(
            FieldError("ALREADY_DELIVERED", "the delivery succeeded; it is not retried", "id")
        )
    row.status = DeliveryStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    await session.flush()
    return row
