from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import one_per_key
from unicrm.core.graph.stores.models import Store


async def _stores_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (await session.scalars(select(Store).where(Store.id.in_(keys)))).all()
    return [(r.id, r) for r in rows]


async def _stores_by_code(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (await session.scalars(select(Store).where(Store.code.in_(keys)))).all()
    return [(r.code, r) for r in rows]


LOADERS = {
    "core.store_by_id": one_per_key(_stores_by_id),
    "core.store_by_code": one_per_key(_stores_by_code),
}
