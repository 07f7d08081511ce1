from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.queries import run_query
from unicrm.plugins.loyalty.graphql.types import LoyaltyMember
from unicrm.plugins.loyalty.services.members import member_by_card


@strawberry.type
class LoyaltyQuery:
    @strawberry.field(
        metadata=requires("loyalty.member:read"),
        description="The member holding a card; spaces and dashes are ignored.",
    )
    async def loyalty_member(self, info: strawberry.Info, card_number: str) -> LoyaltyMember | None:
        async def work(session: AsyncSession) -> LoyaltyMember | None:
            row = await member_by_card(session, card_number)
            return None if row is None else LoyaltyMember.from_row(row)

        return await run_query(info, work)
