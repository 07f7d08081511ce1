from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.leads.models import Lead, LeadStatus, LeadTemperatureChange, LifecycleChange
from unicrm.core.graph.leads.services import visible_to
from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key


async def _leads_by_id(
    session: AsyncSession, keys: list[Any], where: Any = None
) -> list[tuple[Any, Any]]:
    stmt = select(Lead).where(Lead.id.in_(keys))
    rows = await session.scalars(stmt if where is None else stmt.where(where))
    return [(r.id, r) for r in rows]


async def _open_lead_by_customer(
    session: AsyncSession, keys: list[Any], where: Any = None
) -> list[tuple[Any, Any]]:
    stmt = select(Lead).where(Lead.customer_id.in_(keys), Lead.status == LeadStatus.OPEN)
    rows = await session.scalars(stmt if where is None else stmt.where(where))
    return [(r.customer_id, r) for r in rows]


async def _stage_by_customer(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.execute(
        select(Customer.id, Customer.lifecycle_stage).where(Customer.id.in_(keys))
    )
    return [(pk, stage) for pk, stage in rows]


LOADERS = {
    "core.lead_by_id": one_per_key(_leads_by_id, visible_to),
    "core.open_lead_by_customer": one_per_key(_open_lead_by_customer, visible_to),
    "core.lifecycle_stage_by_customer": one_per_key(_stage_by_customer),
    "core.lifecycle_changes_by_customer": many_per_key(
        entities_by(LifecycleChange.customer_id, LifecycleChange.changed_at, LifecycleChange.id)
    ),
    "core.temperature_changes_by_lead": many_per_key(
        entities_by(
            LeadTemperatureChange.lead_id,
            LeadTemperatureChange.changed_at,
            LeadTemperatureChange.id,
        )
    ),
}
