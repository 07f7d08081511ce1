"""Custom events integrators pushed about a customer, in a DSAR export and on erasure.

Erasure deletes them: they describe what the person did (screens viewed, carts abandoned)
and no law requires keeping them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.events.ingest_models import CustomEvent
from unicrm.core.privacy.rows import erase_rows, export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    rows = await export_rows(session, CustomEvent, customer_id, [CustomEvent.occurred_at])
    return {"custom_events": rows}


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await erase_rows(session, CustomEvent, customer_id)
