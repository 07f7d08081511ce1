"""Converted leads become deals: core's ``lead.converted`` opens one deal per event."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.events.idempotency import once
from unicrm.core.events.outbox import Event
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.users.models import User
from unicrm.plugins.sfa.models import DealSource
from unicrm.plugins.sfa.services.deals import DealData, TimelineNote, create_deal

EFFECT = "sfa.deal_from_lead"


async def open_deal_for_converted_lead(event: Event, session: AsyncSession) -> None:
    """Open a deal at the first stage of the default pipeline for the lead's customer and
    owner, once per event (a redelivery or an admin retry finds the effect recorded and does
    nothing). The lead's history summary goes on the customer's timeline with the deal."""
    if event.customer_id is None or not await once(session, event, EFFECT):
        return
    customer = await session.get(Customer, event.customer_id)
    if customer is None:  # erased since
        return
    lead = event.data
    source = lead.source.replace("_", " ")
    owner = None if lead.owner_id is None else await session.get(User, uuid.UUID(lead.owner_id))
    await create_deal(
        session,
        DealData(
            customer_id=customer.id,
            title=f"{customer.display_name} ({source} lead)"[:300],
            owner_id=None if owner is None else owner.id,
            source=DealSource.LEAD_CONVERSION,
        ),
        TimelineNote(
            f"Deal opened from a {lead.temperature} {source} lead",
            summary=f"{lead.touches} touches since the lead was opened",
            data={
                "lead_id": lead.lead_id,
                "temperature": lead.temperature,
                "source": lead.source,
                "lead_created_at": lead.created_at,
                "touches": lead.touches,
                "stages": [s.to_stage for s in lead.stage_history],
            },
        ),
    )
