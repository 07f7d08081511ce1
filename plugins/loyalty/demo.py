"""Demo members for ``unicrm demo``: about half the customers carry a loyalty card."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.plugins.loyalty.models import Member

TIERS = ("silver", "silver", "silver", "gold", "gold", "platinum")


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    """Enrol customers who are not members yet; card numbers are 16 random digits."""
    customer_ids = (
        await session.scalars(
            select(Customer.id)
            .where(~select(Member.id).where(Member.customer_id == Customer.id).exists())
            .order_by(Customer.id.desc())
            .limit(size)
        )
    ).all()
    if not customer_ids:
        return
    now = utcnow()
    for customer_id in rng.sample(customer_ids, k=max(1, len(customer_ids) // 2)):
        session.add(
            Member(
                customer_id=customer_id,
                card_number=str(rng.randrange(10**15, 10**16)),
                tier=rng.choice(TIERS),
                points_balance=rng.randrange(0, 50_000),
                enrolled_at=now - timedelta(days=rng.randint(1, 3 * 365)),
            )
        )
    await session.flush()
