"""Converted leads become deals: core's ``lead.converted`` opens one deal per event."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import get_settings
from unicrm.core.events.idempotency import once
from unicrm.core.events.outbox import Event
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.graph.users.models import User
from unicrm.plugins.sfa.models import Deal, DealStage

EFFECT = "sfa.deal_from_lead"


async def open_deal_for_converted_lead(event: Event, session: AsyncSession) -> None:
    """Open a deal at the opportunity stage for the lead's customer and owner, once per event
    (a redelivery or an admin retry finds the effect recorded and does nothing). The lead's
    history summary goes on the customer's timeline with the deal."""
    if event.customer_id is None or not await once(session, event, EFFECT):
        return
    customer = await session.get(Customer, event.customer_id)
    if customer is None:  # erased since
        return
    lead = event.data
    source = lead.source.replace("_", " ")
    owner = None if lead.owner_id is None else await session.get(User, uuid.UUID(lead.owner_id))
    deal = Deal(
        customer_id=customer.id,
        title=f"{customer.display_name} ({source} lead)"[:300],
        stage=DealStage.OPPORTUNITY,
        amount=Decimal(0),
        currency=get_settings().currency,
        owner_id=None if owner is None else owner.id,
    )
    session.add(deal)
    await session.flush()
    add_entry(
        session,
        customer.id,
        "sfa.deal_opened",
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
        ref_type="Deal",
        ref_id=deal.id,
    )
