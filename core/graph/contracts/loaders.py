from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.contracts.models import Contract, ContractStatusChange
from unicrm.core.graph.contracts.services import scoped, visible_to
from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key


async def _contracts_by_id(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    rows = await session.scalars(scoped(select(Contract), where).where(Contract.id.in_(keys)))
    return [(r.id, r) for r in rows]


async def _contracts_by_customer(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    """Keys are ``(customer_id, statuses)`` (an empty tuple: every status); one statement for
    every customer of the batch, latest start first."""
    stmt = scoped(select(Contract), where).where(Contract.customer_id.in_({c for c, _ in keys}))
    by_customer: dict[Any, list[Contract]] = defaultdict(list)
    for row in await session.scalars(stmt.order_by(Contract.start_date.desc(), Contract.id)):
        by_customer[row.customer_id].append(row)
    return [
        ((customer, statuses), row)
        for customer, statuses in keys
        for row in by_customer[customer]
        if not statuses or row.status in statuses
    ]


LOADERS = {
    "core.contract_by_id": one_per_key(_contracts_by_id, visible_to),
    "core.contracts_by_customer": many_per_key(_contracts_by_customer, visible_to),
    "core.status_changes_by_contract": many_per_key(
        entities_by(
            ContractStatusChange.contract_id,
            ContractStatusChange.changed_at,
            ContractStatusChange.id,
        )
    ),
}
