"""Demo lead scores for ``unicrm demo``: most customers have been scored."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.customers.models import Customer
from unicrm.plugins.ma.models import LeadScore


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    """Score customers who have no score yet."""
    customer_ids = (
        await session.scalars(
            select(Customer.id)
            .where(~select(LeadScore.id).where(LeadScore.customer_id == Customer.id).exists())
            .order_by(Customer.id.desc())
            .limit(size)
        )
    ).all()
    if not customer_ids:
        return
    for customer_id in rng.sample(customer_ids, k=max(1, len(customer_ids) * 3 // 4)):
        session.add(LeadScore(customer_id=customer_id, value=rng.randint(0, 100)))
    await session.flush()
