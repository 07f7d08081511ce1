"""The customer's leads and lifecycle history in a DSAR export, and their erasure."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.leads.models import Lead, LeadTemperatureChange, LifecycleChange
from unicrm.core.graph.merge.journal import jsonable
from unicrm.core.privacy.rows import erase_rows, export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    temperatures = select(LeadTemperatureChange.__table__).where(
        LeadTemperatureChange.lead_id.in_(select(Lead.id).where(Lead.customer_id == customer_id))
    )
    return {
        "leads": await export_rows(session, Lead, customer_id, order_by=[Lead.created_at]),
        "lead_temperature_changes": [
            jsonable(dict(row))
            for row in (
                await session.execute(
                    temperatures.order_by(
                        LeadTemperatureChange.changed_at, LeadTemperatureChange.id
                    )
                )
            ).mappings()
        ],
        "lifecycle_changes": await export_rows(
            session, LifecycleChange, customer_id, order_by=[LifecycleChange.changed_at]
        ),
    }


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Leads go with their temperature history (a cascade), then the stage history."""
    await erase_rows(session, Lead, customer_id)
    await erase_rows(session, LifecycleChange, customer_id)
