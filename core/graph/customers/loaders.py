from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.customers.services import visible_to
from unicrm.core.graph.loaders import one_per_key


async def _customers_by_id(
    session: AsyncSession, keys: list[Any], where: Any = None
) -> list[tuple[Any, Any]]:
    """Customers by id within the actor's row scope; ids merged away resolve to the
    surviving customer."""
    stmt = select(Customer) if where is None else select(Customer).where(where)
    aliases = dict(
        (
            await session.execute(
                select(CustomerAlias.old_id, CustomerAlias.customer_id).where(
                    CustomerAlias.old_id.in_(keys)
                )
            )
        ).all()
    )
    real = {k: aliases.get(k, k) for k in keys}
    rows = (await session.scalars(stmt.where(Customer.id.in_(set(real.values()))))).all()
    by_id = {r.id: r for r in rows}
    return [(k, by_id.get(v)) for k, v in real.items()]


LOADERS = {"core.customer_by_id": one_per_key(_customers_by_id, visible_to)}
