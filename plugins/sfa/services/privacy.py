"""SFA's part of customer merge, export (DSAR) and erasure."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.merge.journal import jsonable
from unicrm.core.privacy.rows import Journal, drop_row, erase_rows, export_rows, move_rows
from unicrm.plugins.sfa.models import (
    Activity,
    Deal,
    DealAssignment,
    DealContact,
    Quote,
    QuoteLine,
    StageChange,
)


async def merge(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Journal | None
) -> None:
    """The survivor takes the deals, the deals bought through the company, the contact roles,
    the activities and the quotes; where both were contacts of one deal, the survivor's role stays."""
    await move_rows(session, Deal, source_id, target_id, journal)
    await move_rows(session, Deal, source_id, target_id, journal, column="company_id")
    kept = select(DealContact.deal_id).where(DealContact.customer_id == target_id)
    for twin in await session.scalars(
        select(DealContact).where(
            DealContact.customer_id == source_id, DealContact.deal_id.in_(kept)
        )
    ):
        await drop_row(session, twin, journal)
    await move_rows(session, DealContact, source_id, target_id, journal)
    await move_rows(session, Activity, source_id, target_id, journal)
    await move_rows(session, Quote, source_id, target_id, journal)


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    """The customer's SFA data by section; empty sections are left out, as core's are."""
    lines = select(QuoteLine.__table__).where(
        QuoteLine.quote_id.in_(select(Quote.id).where(Quote.customer_id == customer_id))
    )
    mine = select(Deal.id).where(Deal.customer_id == customer_id)
    history = select(StageChange.__table__).where(StageChange.deal_id.in_(mine))
    owners = select(DealAssignment.__table__).where(DealAssignment.deal_id.in_(mine))
    sections = {
        "deals": await export_rows(session, Deal, customer_id, order_by=[Deal.created_at]),
        "deals_as_company": await export_rows(
            session, Deal, customer_id, order_by=[Deal.created_at], column="company_id"
        ),
        "deal_contacts": await export_rows(
            session, DealContact, customer_id, order_by=[DealContact.created_at]
        ),
        "activities": await export_rows(
            session, Activity, customer_id, order_by=[Activity.occurred_at]
        ),
        "quotes": await export_rows(session, Quote, customer_id, order_by=[Quote.created_at]),
        "quote_lines": [
            jsonable(dict(row))
            for row in (
                await session.execute(lines.order_by(QuoteLine.quote_id, QuoteLine.position))
            ).mappings()
        ],
        "deal_assignments": [
            jsonable(dict(row))
            for row in (
                await session.execute(
                    owners.order_by(DealAssignment.assigned_at, DealAssignment.id)
                )
            ).mappings()
        ],
        "deal_stage_changes": [
            jsonable(dict(row))
            for row in (
                await session.execute(history.order_by(StageChange.changed_at, StageChange.id))
            ).mappings()
        ],
    }
    return {name: rows for name, rows in sections.items() if rows}


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """The customer's activities and deals go, the deals with their history and contacts;
    deals the customer was the buying company of stay with their person, without it."""
    await erase_rows(session, Activity, customer_id)
    await erase_rows(session, Quote, customer_id)
    await erase_rows(session, Deal, customer_id)
    await erase_rows(session, DealContact, customer_id)
    await session.execute(
        update(Deal).where(Deal.company_id == customer_id).values(company_id=None)
    )
