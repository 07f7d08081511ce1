from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.attributes.models import AttributeDefinition
from unicrm.core.graph.loaders import one_per_key


async def _definitions_by_key(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = (
        await session.scalars(select(AttributeDefinition).where(AttributeDefinition.key.in_(keys)))
    ).all()
    return [(r.key, r) for r in rows]


LOADERS = {"core.attribute_definition_by_key": one_per_key(_definitions_by_key)}
