from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import many_per_key, one_per_key
from unicrm.plugins.sfa.models import Deal
from unicrm.plugins.sfa.services.deals import deals_by_customer


async def _deals_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Deal]]:
    rows = await session.scalars(select(Deal).where(Deal.id.in_(keys)))
    return [(r.id, r) for r in rows]


LOADERS = {
    "sfa.deal_by_id": one_per_key(_deals_by_id),
    "sfa.deals_by_customer": many_per_key(deals_by_customer),
}
