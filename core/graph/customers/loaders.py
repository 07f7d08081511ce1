from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.customers.services import visible_to
from unicrm.core.graph.loaders import KEYS, one_per_key

_BY_ID_OR_ALIAS = (
    select(Customer.__table__, CustomerAlias.old_id)
    .outerjoin(
        CustomerAlias,
        and_(CustomerAlias.customer_id == Customer.id, CustomerAlias.old_id.in_(KEYS)),
    )
    .where(or_(Customer.id.in_(KEYS), CustomerAlias.old_id.is_not(None)))
)


async def _customers_by_id(
    session: AsyncSession, keys: list[Any], where: Any = None
) -> list[tuple[Any, Any]]:
    """Customers by id within the actor's row scope, as light Core rows in one statement;
    ids merged away resolve to the surviving customer."""
    stmt = _BY_ID_OR_ALIAS if where is None else _BY_ID_OR_ALIAS.where(where)
    found: dict[Any, Any] = {}
    for row in await session.execute(stmt, {"keys": keys}):
        found[row.id] = row
        if row.old_id is not None:
            found[row.old_id] = row
    return [(k, found.get(k)) for k in keys]


LOADERS = {"core.customer_by_id": one_per_key(_customers_by_id, visible_to)}
