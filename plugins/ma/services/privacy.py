"""MA's part of DSAR export, erasure and merge: every MA table holding a customer's data."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.privacy.rows import Journal, drop_row, erase_rows, export_rows, move_rows
from unicrm.plugins.ma.models import (
    CampaignRecipient,
    FormSubmission,
    LeadScore,
    ScoreChange,
    TrackingEvent,
    Visitor,
)
from unicrm.plugins.ma.services.lead_scores import merge_scores

CUSTOMER_TABLES: dict[str, Any] = {
    "visitors": Visitor,
    "tracking_events": TrackingEvent,
    "form_submissions": FormSubmission,
    "lead_scores": LeadScore,
    "score_changes": ScoreChange,
    "campaign_recipients": CampaignRecipient,
}
"""Section name of the export → table; each has a ``customer_id``."""


async def export_customer(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    """The customer's MA rows by section; empty sections are left out, as core does."""
    sections = {
        name: await export_rows(session, model, customer_id)
        for name, model in CUSTOMER_TABLES.items()
    }
    return {name: rows for name, rows in sections.items() if rows}


async def erase_customer(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Delete every MA row of the customer (a visitor's hits go with the visitor)."""
    for model in CUSTOMER_TABLES.values():
        await erase_rows(session, model, customer_id)


async def merge_customers(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Journal | None
) -> None:
    """The survivor gets the source's visitors, hits, submissions, score changes and campaign
    receipts (of a campaign both got, the survivor's); of two stored scores the higher."""
    for model in (Visitor, TrackingEvent, FormSubmission, ScoreChange):
        await move_rows(session, model, source_id, target_id, journal)
    both = select(CampaignRecipient.campaign_id).where(CampaignRecipient.customer_id == target_id)
    for row in await session.scalars(
        select(CampaignRecipient).where(
            CampaignRecipient.customer_id == source_id, CampaignRecipient.campaign_id.in_(both)
        )
    ):
        await drop_row(session, row, journal)
    await move_rows(session, CampaignRecipient, source_id, target_id, journal)
    await merge_scores(session, source_id, target_id, journal)
