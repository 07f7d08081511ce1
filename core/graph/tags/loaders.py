from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import KEYS, entities_by, many_per_key, one_per_key
from unicrm.core.graph.tags.models import CustomerTag, Tag

_BY_CUSTOMER = (
    select(CustomerTag.customer_id, Tag)
    .join(Tag, Tag.id == CustomerTag.tag_id)
    .where(CustomerTag.customer_id.in_(KEYS))
    .order_by(Tag.name_key)
)


async def _tags_by_customer(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    """Each customer's tags in name order, in one statement."""
    rows = await session.execute(_BY_CUSTOMER, {"keys": keys})
    return [(customer_id, tag) for customer_id, tag in rows]


LOADERS = {
    "core.tag_by_id": one_per_key(entities_by(Tag.id)),
    "core.tags_by_customer": many_per_key(_tags_by_customer),
}
