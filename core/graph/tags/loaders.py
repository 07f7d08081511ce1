from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import many_per_key, one_per_key
from unicrm.core.graph.tags.models import CustomerTag, Tag


async def _tags_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (await session.scalars(select(Tag).where(Tag.id.in_(keys)))).all()
    return [(r.id, r) for r in rows]


async def _tags_by_customer(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    """Each customer's tags in name order, in one statement."""
    rows = await session.execute(
        select(CustomerTag.customer_id, Tag)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(CustomerTag.customer_id.in_(keys))
        .order_by(Tag.name_key)
    )
    return [(customer_id, tag) for customer_id, tag in rows]


LOADERS = {
    "core.tag_by_id": one_per_key(_tags_by_id),
    "core.tags_by_customer": many_per_key(_tags_by_customer),
}
