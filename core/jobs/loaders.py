from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import one_per_key
from unicrm.core.jobs.models import Job


async def _jobs(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(select(Job).where(Job.id.in_(keys)))
    return [(r.id, r) for r in rows]


LOADERS = {"core.job_by_id": one_per_key(_jobs)}
