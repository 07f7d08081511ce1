from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import many_per_key, one_per_key
from unicrm.plugins.crm.models import Case
from unicrm.plugins.crm.services.cases import cases_by_customer


async def _cases_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Case]]:
    rows = await session.scalars(select(Case).where(Case.id.in_(keys)))
    return [(r.id, r) for r in rows]


LOADERS = {
    "crm.case_by_id": one_per_key(_cases_by_id),
    "crm.cases_by_customer": many_per_key(cases_by_customer),
}
