"""Live loyalty feeds: a member's balance after each change, check-ins at a store
(docs/loyalty.md)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry
from sqlalchemy import select

from unicrm.core.authz.declare import requires
from unicrm.core.errors import NotFound
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.stores.models import Store, StoreStaff
from unicrm.plugins.loyalty.graphql.types import LoyaltyMember
from unicrm.plugins.loyalty.services.members import current_member, visible_members


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

    @strawberry.subscription(
        metadata=requires("loyalty.member:read"),
        description="Members checking in at the store (for its staff: store staff follow "
        "the stores they work at); each member as you may see them.",
    )
    async def loyalty_member_checked_in(
        self, info: strawberry.Info, store_code: str
    ) -> AsyncGenerator[LoyaltyMember, None]:
        ctx = info.context
        async with ctx.db.session() as session:
            store = await session.scalar(select(Store).where(Store.code == store_code))
            works_here = store is not None and await session.scalar(
                select(StoreStaff.store_id).where(
                    StoreStaff.store_id == store.id, StoreStaff.user_id == ctx.actor.user_id
                )
            )
        if store is None or (visible_members(ctx) is not None and not works_here):
            raise NotFound("no such store of yours")
        async with ctx.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if event.type != "loyalty.member_checked_in":
                    continue
                if event.payload.get("store_id") != str(store.id):
                    continue
                row = await current_member(ctx, uuid.UUID(event.payload["member_id"]))
                if row is not None:
                    yield LoyaltyMember.from_row(row)
