from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.loaders import one_per_key


async def _departments(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(select(Department).where(Department.id.in_(keys)))
    return [(r.id, r) for r in rows]


LOADERS = {"core.department_by_id": one_per_key(_departments)}
