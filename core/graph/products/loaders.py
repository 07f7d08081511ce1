from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import one_per_key
from unicrm.core.graph.products.models import Product


async def _products_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (await session.scalars(select(Product).where(Product.id.in_(keys)))).all()
    return [(r.id, r) for r in rows]


LOADERS = {"core.product_by_id": one_per_key(_products_by_id)}
