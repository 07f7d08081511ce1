from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.assets.models import Asset
from unicrm.core.graph.assets.services import scoped, visible_to
from unicrm.core.graph.loaders import many_per_key, one_per_key


async def _assets_by_id(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    rows = await session.scalars(scoped(select(Asset), where).where(Asset.id.in_(keys)))
    return [(r.id, r) for r in rows]


async def _assets_by_customer(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    """Keys are ``(customer_id, statuses)`` (an empty tuple: every status); one statement for
    every customer of the batch, newest first."""
    stmt = scoped(select(Asset), where).where(Asset.customer_id.in_({c for c, _ in keys}))
    by_customer: dict[Any, list[Asset]] = defaultdict(list)
    for row in await session.scalars(stmt.order_by(Asset.id.desc())):
        by_customer[row.customer_id].append(row)
    return [
        ((customer, statuses), row)
        for customer, statuses in keys
        for row in by_customer[customer]
        if not statuses or row.status in statuses
    ]


LOADERS = {
    "core.asset_by_id": one_per_key(_assets_by_id, visible_to),
    "core.assets_by_customer": many_per_key(_assets_by_customer, visible_to),
}
