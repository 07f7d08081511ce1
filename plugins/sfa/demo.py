"""Demo deals for ``unicrm demo``: a few deals for about a third of the customers."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.plugins.sfa.models import Deal, DealStage

CURRENCY = "THB"
OFFERS = ("Annual support plan", "Fleet renewal", "POS rollout", "Condo unit", "Solar rooftop")


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    customer_ids = (
        await session.scalars(select(Customer.id).order_by(Customer.id.desc()).limit(size))
    ).all()
    if not customer_ids:
        return
    today = utcnow().date()
    for customer_id in rng.sample(customer_ids, k=max(1, len(customer_ids) // 3)):
        for _ in range(rng.randint(1, 3)):
            session.add(
                Deal(
                    customer_id=customer_id,
                    title=rng.choice(OFFERS),
                    stage=rng.choice(list(DealStage)),
                    amount=Decimal(rng.randrange(5_000, 2_000_000, 500)),
                    currency=CURRENCY,
                    expected_close_date=today + timedelta(days=rng.randint(7, 120)),
                )
            )
    await session.flush()
