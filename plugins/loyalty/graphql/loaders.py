from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import one_per_key
from unicrm.plugins.loyalty.models import Member
from unicrm.plugins.loyalty.services.members import members_by_customer


async def _members_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Member]]:
    rows = await session.scalars(select(Member).where(Member.id.in_(keys)))
    return [(r.id, r) for r in rows]


LOADERS = {
    "loyalty.member_by_id": one_per_key(_members_by_id),
    "loyalty.member_by_customer": one_per_key(members_by_customer),
}
