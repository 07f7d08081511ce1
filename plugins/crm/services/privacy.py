"""Cases in a merge, a DSAR export and an erasure. A case's messages, attachments, status
history and technician visits follow the case: they move with it, are exported inside it, and are deleted with it
(ON DELETE CASCADE). NPS surveys belong to the customer directly."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.merge.journal import jsonable
from unicrm.core.privacy.rows import Journal, erase_rows, export_rows, move_rows
from unicrm.plugins.crm.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseStatusChange,
    CustomerValue,
    NpsSurvey,
    Survey,
    TechnicianVisit,
)

PARTS = {
    "messages": CaseMessage,
    "attachments": CaseAttachment,
    "status_history": CaseStatusChange,
    "technician_visits": TechnicianVisit,
    "surveys": Survey,
}


async def merge(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Journal | None
) -> None:
    await move_rows(session, Case, source_id, target_id, journal)
    await move_rows(session, NpsSurvey, source_id, target_id, journal)
    # derived from orders: both are stale, the next recomputation scores the survivor
    await session.execute(
        delete(CustomerValue).where(CustomerValue.customer_id.in_((source_id, target_id)))
    )


async def _by_case(session: AsyncSession, model: Any, case_ids: Any) -> dict[str, list[Any]]:
    table = model.__table__
    stmt = select(table).where(table.c.case_id.in_(case_ids)).order_by(table.c.id)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in (await session.execute(stmt)).mappings():
        data = jsonable(dict(row))
        grouped[data["case_id"]].append(data)
    return grouped


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    """The customer's cases, each with its messages, attachments and status history."""
    cases = await export_rows(session, Case, customer_id, order_by=[Case.opened_at])
    case_ids = select(Case.id).where(Case.customer_id == customer_id)
    for name, model in PARTS.items():
        grouped = await _by_case(session, model, case_ids)
        for case in cases:
            case[name] = grouped.get(case["id"], [])
    nps = await export_rows(session, NpsSurvey, customer_id, order_by=[NpsSurvey.created_at])
    values = await export_rows(session, CustomerValue, customer_id)
    return {"cases": cases, "nps_surveys": nps, "customer_value": values}


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await erase_rows(session, Case, customer_id)
    await erase_rows(session, NpsSurvey, customer_id)
    await erase_rows(session, CustomerValue, customer_id)
