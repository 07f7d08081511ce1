"""Demo deals for ``unicrm demo``: about a third of the customers have one to three deals in
the default B2B pipeline, moved through its stages so boards and histories have content, and
calls, visits and open tasks about them."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.products.services import Price
from unicrm.plugins.sfa.models import ActivityKind, Deal, DealSource, StageKind
from unicrm.plugins.sfa.services import activities, deals, pipelines

CURRENCY = "THB"
OFFERS = ("Annual support plan", "Fleet renewal", "POS rollout", "Condo unit", "Solar rooftop")
LOST_REASONS = ("Chose a competitor", "No budget this year", "Project postponed")


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    customer_ids = (
        await session.scalars(select(Customer.id).order_by(Customer.id.desc()).limit(size))
    ).all()
    if not customer_ids:
        return
    pipeline = await pipelines.default_pipeline(session)
    stages = [s for s in await pipelines.stages_of(session, pipeline.id) if not s.archived_at]
    today = utcnow().date()
    for customer_id in rng.sample(customer_ids, k=max(1, len(customer_ids) // 3)):
        for _ in range(rng.randint(1, 3)):
            deal = await deals.create_deal(
                session,
                deals.DealData(
                    customer_id=customer_id,
                    title=rng.choice(OFFERS),
                    amount=Price(Decimal(rng.randrange(5_000, 2_000_000, 500)), CURRENCY),
                    source=rng.choice(list(DealSource)),
                    expected_close_date=today + timedelta(days=rng.randint(7, 120)),
                    next_step=rng.choice((None, "Send the proposal", "Site visit")),
                ),
            )
            target = rng.choice(stages)
            for stage in stages:
                if stage.kind is StageKind.OPEN and stage.position > target.position:
                    break
                if stage.id == deal.stage_id or (
                    stage.kind is not StageKind.OPEN and stage.id != target.id
                ):
                    continue
                deal = await deals.move_stage(
                    session,
                    deal.id,
                    stage.id,
                    expected_version=deal.version,
                    lost_reason=rng.choice(LOST_REASONS) if stage.kind is StageKind.LOST else None,
                )
    await seed_activities(session, size, rng)
    await session.flush()


async def seed_activities(session: AsyncSession, size: int, rng: random.Random) -> None:
    """A call, a visit with its check-in and an open task for some customers with deals."""
    rows = (
        await session.execute(select(Deal.customer_id, Deal.id).order_by(Deal.id).limit(size))
    ).all()
    now = utcnow()
    for customer_id, deal_id in rows[: max(1, len(rows) // 2)]:
        await activities.log_activity(
            session,
            activities.ActivityData(
                customer_id=customer_id,
                kind=ActivityKind.CALL,
                subject="Discovery call",
                deal_id=deal_id,
                notes="Interested; asked for references.",
                occurred_at=now - timedelta(days=rng.randint(5, 30)),
                duration_minutes=rng.choice((15, 30, 45)),
            ),
        )
        await activities.log_activity(
            session,
            activities.ActivityData(
                customer_id=customer_id,
                kind=ActivityKind.VISIT,
                subject="Site visit",
                deal_id=deal_id,
                occurred_at=now - timedelta(days=rng.randint(1, 4)),
                check_in=activities.CheckIn(13.7563, 100.5018, "Silom, Bangkok"),
            ),
        )
        await activities.log_activity(
            session,
            activities.ActivityData(
                customer_id=customer_id,
                kind=ActivityKind.TASK,
                subject="Send the proposal",
                deal_id=deal_id,
                due_at=now + timedelta(days=rng.randint(2, 7)),
            ),
        )
