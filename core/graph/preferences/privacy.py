"""Preferences in a DSAR export; erasure deletes them and every note."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.preferences.models import CustomerPreference, PreferenceNote
from unicrm.core.privacy.rows import erase_rows, export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, list[Any]]:
    return {
        "preferences": await export_rows(session, CustomerPreference, customer_id),
        "preference_notes": await export_rows(
            session, PreferenceNote, customer_id, (PreferenceNote.created_at,)
        ),
    }


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await erase_rows(session, PreferenceNote, customer_id)
    await erase_rows(session, CustomerPreference, customer_id)
