from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import one_per_key
from unicrm.plugins.ma.models import LeadScore


async def _scores(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (await session.scalars(select(LeadScore).where(LeadScore.customer_id.in_(keys)))).all()
    return [(r.customer_id, r) for r in rows]


LOADERS = {"ma.lead_score_by_customer": one_per_key(_scores)}
