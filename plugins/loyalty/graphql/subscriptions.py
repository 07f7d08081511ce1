"""Live loyalty feeds: a member's balance after each change (docs/loyalty.md)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from unicrm.core.authz.declare import requires
from unicrm.core.errors import NotFound
from unicrm.core.graph.ids import decode_id
from unicrm.plugins.loyalty.graphql.types import LoyaltyMember
from unicrm.plugins.loyalty.services.members import current_member


@strawberry.type
class LoyaltySubscription:
    @strawberry.subscription(
        metadata=requires("loyalty.member:read"),
        description="The member, as stored after each change of their points (earn, "
        "redemption, expiry, adjustment...); ends with NOT_FOUND once you may no longer see "
        "them.",
    )
    async def loyalty_member_points_changed(
        self, info: strawberry.Info, member_id: strawberry.ID
    ) -> AsyncGenerator[LoyaltyMember, None]:
        ctx = info.context
        pk = decode_id(member_id, "LoyaltyMember", "memberId")
        if await current_member(ctx, pk) is None:
            raise NotFound("no such loyalty member")
        async with ctx.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if event.type != "loyalty.points_changed":
                    continue
                if event.payload.get("member_id") != str(pk):
                    continue
                row = await current_member(ctx, pk)
                if row is None:
                    raise NotFound("no such loyalty member")
                yield LoyaltyMember.from_row(row)
