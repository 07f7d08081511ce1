"""Cases: listing, and the customer-data duties (merge, export, erasure)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.plugins.crm.models import Case, CaseStatus


def cases_stmt(status: CaseStatus | None = None) -> Select[Any]:
    stmt = select(Case)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    return stmt


async def cases_by_customer(
    session: AsyncSession, customer_ids: list[Any]
) -> list[tuple[Any, Case]]:
    """``(customer_id, case)`` pairs, most recently opened first, for a batch of customers."""
    rows = await session.scalars(
        select(Case)
        .where(Case.customer_id.in_(customer_ids))
        .order_by(Case.opened_at.desc(), Case.id.desc())
    )
    return [(r.customer_id, r) for r in rows]


async def move_cases(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Any
) -> None:
    """Give the source customer's cases to the target, journaling every moved row."""
    moved = (await session.scalars(select(Case.id).where(Case.customer_id == source_id))).all()
    if not moved:
        return
    await session.execute(
        update(Case).where(Case.customer_id == source_id).values(customer_id=target_id)
    )
    if journal is not None:
        for case_id in moved:
            journal.record(Case.__tablename__, case_id, "customer_id", source_id, target_id)


async def export_cases(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Case.__table__).where(Case.customer_id == customer_id).order_by(Case.opened_at)
    )
    return [dict(r) for r in rows.mappings()]


async def erase_cases(session: AsyncSession, customer_id: uuid.UUID) -> None:
    await session.execute(delete(Case).where(Case.customer_id == customer_id))
