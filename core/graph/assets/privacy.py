"""Assets in a DSAR export, and on erasure: kept for warranty and recall records, but no
longer tied to the person (owner cleared) and stripped of location and notes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.assets.models import Asset
from unicrm.core.privacy.rows import export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, list[Any]]:
    return {"assets": await export_rows(session, Asset, customer_id)}


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await session.execute(
        update(Asset)
        .where(Asset.customer_id == customer_id)
        .values(customer_id=None, location=None, notes=None)
        .execution_options(synchronize_session=False)
    )
