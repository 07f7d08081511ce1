"""Demo cases for ``unicrm demo``: a case or two for about a quarter of the customers."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.plugins.crm.models import Case, CasePriority, CaseStatus

SUBJECTS = (
    "Cannot sign in to the member app",
    "Refund for a damaged item",
    "Change of delivery address",
    "Warranty claim",
    "Question about an invoice",
)


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    customer_ids = (
        await session.scalars(select(Customer.id).order_by(Customer.id.desc()).limit(size))
    ).all()
    if not customer_ids:
        return
    now = utcnow()
    for customer_id in rng.sample(customer_ids, k=max(1, len(customer_ids) // 4)):
        for _ in range(rng.randint(1, 2)):
            session.add(
                Case(
                    customer_id=customer_id,
                    subject=rng.choice(SUBJECTS),
                    status=rng.choice(list(CaseStatus)),
                    priority=rng.choice(list(CasePriority)),
                    opened_at=now - timedelta(hours=rng.randint(1, 24 * 90)),
                )
            )
    await session.flush()
