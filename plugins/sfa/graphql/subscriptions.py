"""SFA's live feeds: a rep's own pipeline (deals created for them, moved, assigned to them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry

from unicrm.core.authz.declare import requires
from unicrm.core.errors import Unauthenticated
from unicrm.plugins.sfa.graphql.types import Deal, PipelineEvent
from unicrm.plugins.sfa.services.live import PIPELINE_EVENTS, current_deal, for_owner


@strawberry.type
class SfaSubscription:
    @strawberry.subscription(
        metadata=requires("sfa.deal:read"),
        description="Your pipeline as it changes: deals opened for you, moved, or assigned or "
        "handed to you (deal.created, deal.stage_changed, deal.assigned), with the deal as it "
        "is now. Best effort: nothing is replayed after a disconnection.",
    )
    async def my_pipeline(self, info: strawberry.Info) -> AsyncGenerator[PipelineEvent, None]:
        ctx = info.context
        me = ctx.actor.user_id
        if me is None:
            raise Unauthenticated("sign in as a user to follow your pipeline")
        async with ctx.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if event.type not in PIPELINE_EVENTS or not for_owner(event, me):
                    continue
                row = await current_deal(ctx, uuid.UUID(str(event.payload["deal_id"])))
                if row is not None:
                    yield PipelineEvent(type=event.type, deal=Deal.from_row(row))
