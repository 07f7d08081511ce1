"""The outbox lag gauge: how long the oldest undispatched domain event has been waiting."""

from __future__ import annotations

from sqlalchemy import select

from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import OutboxEvent
from unicrm.core.telemetry.metrics import gauge

OUTBOX_LAG = "unicrm.outbox.lag"


@gauge(OUTBOX_LAG, unit="s", description="Age of the oldest outbox event not yet dispatched.")
async def outbox_lag(db: Database) -> float:
    """Seconds since the oldest pending event was written; 0 when nothing is pending."""
    async with db.session() as session:
        oldest = await session.scalar(
            select(OutboxEvent.created_at)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(1)
        )
    return 0.0 if oldest is None else max((utcnow() - oldest).total_seconds(), 0.0)
