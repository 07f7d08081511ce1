"""Demo cases for ``unicrm demo``: a case or two for about a quarter of the customers, from
every channel, in categories, with the customer's message, a reply or a note, a status
history consistent with where each case stands, and SLA due times under two demo policies
(a default and a stricter one for urgent cases) in the default working hours."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import get_settings
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.teams.models import Team
from unicrm.plugins.crm.models import (
    Case,
    CaseChannel,
    CaseMessage,
    CaseMessageKind,
    CasePriority,
    CaseStatus,
    CaseStatusChange,
)
from unicrm.plugins.crm.services import sla

SUBJECTS = (
    ("Cannot sign in to the member app", "account"),
    ("Refund for a damaged item", "refund"),
    ("Change of delivery address", "delivery"),
    ("Warranty claim", "warranty"),
    ("Question about an invoice", "billing"),
    ("Internet drops every evening", "internet/outage"),
)
PATH = (
    CaseStatus.NEW,
    CaseStatus.OPEN,
    CaseStatus.PENDING_CUSTOMER,
    CaseStatus.RESOLVED,
    CaseStatus.CLOSED,
)


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    customer_ids = (
        await session.scalars(select(Customer.id).order_by(Customer.id.desc()).limit(size))
    ).all()
    if not customer_ids:
        return
    teams = (await session.scalars(select(Team.id).order_by(Team.name))).all()
    now = utcnow()
    zone = get_settings().zone
    policies = (
        sla.PolicyData("Standard", None, None, 240, 3 * 540),
        sla.PolicyData("Urgent", CasePriority.URGENT, None, 30, 480, warn_before_minutes=15),
    )
    for data in policies:
        await sla.set_policy(session, data)
    for customer_id in rng.sample(customer_ids, k=max(1, len(customer_ids) // 4)):
        for _ in range(rng.randint(1, 2)):
            subject, category = rng.choice(SUBJECTS)
            opened = now - timedelta(hours=rng.randint(1, 24 * 90))
            steps = PATH[: rng.randint(1, len(PATH))]
            status = steps[-1]
            case = Case(
                id=uuid7(),
                customer_id=customer_id,
                subject=subject,
                category=category,
                status=status,
                priority=rng.choice(list(CasePriority)),
                channel=rng.choice(list(CaseChannel)),
                team_id=rng.choice(teams) if teams else None,
                opened_at=opened,
                updated_at=opened,
                first_response_at=opened + timedelta(minutes=30) if len(steps) > 1 else None,
                resolved_at=opened + timedelta(days=1) if CaseStatus.RESOLVED in steps else None,
                closed_at=opened + timedelta(days=3) if status is CaseStatus.CLOSED else None,
                reopen_count=0,
                sla_paused_seconds=0,
            )
            await sla.apply(session, case, zone)
            session.add(case)
            session.add(
                CaseMessage(
                    id=uuid7(),
                    case_id=case.id,
                    kind=CaseMessageKind.CUSTOMER,
                    body=f"{subject}. Please help.",
                    created_at=opened,
                )
            )
            if len(steps) > 1:
                session.add(
                    CaseMessage(
                        id=uuid7(),
                        case_id=case.id,
                        kind=rng.choice((CaseMessageKind.REPLY, CaseMessageKind.NOTE)),
                        body="We are looking into it.",
                        author_name="Service team",
                        created_at=opened + timedelta(minutes=30),
                    )
                )
            previous = None
            for i, step in enumerate(steps):
                session.add(
                    CaseStatusChange(
                        id=uuid7(),
                        case_id=case.id,
                        from_status=previous,
                        to_status=step,
                        changed_by="demo",
                        changed_at=opened + timedelta(hours=i),
                    )
                )
                previous = step
    await session.flush()
