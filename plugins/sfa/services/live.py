"""What a rep's live pipeline feed passes on, and the deal read afresh for each event."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from unicrm.core.events.outbox import Event
from unicrm.plugins.sfa.models import Deal
from unicrm.plugins.sfa.services.deals import visible_to

PIPELINE_EVENTS = frozenset({"deal.created", "deal.stage_changed", "deal.assigned"})


def for_owner(event: Event, user_id: uuid.UUID) -> bool:
    """Whether the event concerns a deal ``user_id`` owns (or was just given)."""
    owner = event.payload.get("owner_id")
    return owner is not None and owner == str(user_id)


async def current_deal(ctx: Any, deal_id: uuid.UUID) -> Deal | None:
    """The deal as stored now, if the subscriber may still see it (their row scope)."""
    stmt = select(Deal).where(Deal.id == deal_id).execution_options(populate_existing=True)
    scope = visible_to(ctx)
    async with ctx.db.session() as session:
        return await session.scalar(stmt if scope is None else stmt.where(scope))
