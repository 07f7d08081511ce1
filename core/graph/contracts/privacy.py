"""Contracts in a DSAR export, and on erasure: kept for the business's records (terms,
values, status history), but no longer tied to the person and stripped of notes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.contracts.models import Contract, ContractStatusChange
from unicrm.core.graph.merge.journal import jsonable
from unicrm.core.privacy.rows import export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, list[Any]]:
    history = await session.execute(
        select(ContractStatusChange.__table__)
        .join(Contract, Contract.id == ContractStatusChange.contract_id)
        .where(Contract.customer_id == customer_id)
        .order_by(ContractStatusChange.contract_id, ContractStatusChange.changed_at)
    )
    return {
        "contracts": await export_rows(session, Contract, customer_id, (Contract.start_date,)),
        "contract_status_changes": [jsonable(dict(r)) for r in history.mappings()],
    }


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await session.execute(
        update(Contract)
        .where(Contract.customer_id == customer_id)
        .values(customer_id=None, notes=None)
        .execution_options(synchronize_session=False)
    )
