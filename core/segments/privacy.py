"""Segment memberships in a customer's DSAR export and erasure (core's privacy modules)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.segments.services import erase_memberships, export_memberships


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, list[Any]]:
    return {"segments": await export_memberships(session, customer_id)}


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await erase_memberships(session, customer_id)
