"""Cases in a merge, a DSAR export and an erasure. A case's messages, attachments and status
history follow the case: they move with it and are deleted with it (ON DELETE CASCADE)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.merge.journal import jsonable
from unicrm.core.privacy.rows import Journal, erase_rows, export_rows, move_rows
from unicrm.plugins.crm.models import Case, CaseAttachment, CaseMessage, CaseStatusChange


async def merge(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Journal | None
) -> None:
    await move_rows(session, Case, source_id, target_id, journal)


async def _of_cases(session: AsyncSession, model: Any, case_ids: Any) -> list[dict[str, Any]]:
    table = model.__table__
    stmt = select(table).where(table.c.case_id.in_(case_ids)).order_by(table.c.id)
    return [jsonable(dict(row)) for row in (await session.execute(stmt)).mappings()]


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    case_ids = select(Case.id).where(Case.customer_id == customer_id)
    return {
        "cases": await export_rows(session, Case, customer_id, order_by=[Case.opened_at]),
        "case_messages": await _of_cases(session, CaseMessage, case_ids),
        "case_attachments": await _of_cases(session, CaseAttachment, case_ids),
        "case_status_changes": await _of_cases(session, CaseStatusChange, case_ids),
    }


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await erase_rows(session, Case, customer_id)
