from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.scalars import BigInt
from unicrm.plugins.loyalty import models


@strawberry.enum(description="Whether a membership card can earn and redeem points.")
class LoyaltyMemberStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


@guard("loyalty.member")
@strawberry.type(description="A customer's membership of the loyalty programme.")
class LoyaltyMember(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    card_number: str = strawberry.field(metadata={"pii": "identity"})
    tier: str
    points_balance: BigInt
    status: LoyaltyMemberStatus
    enrolled_at: datetime

    @classmethod
    def from_row(cls, row: models.Member) -> LoyaltyMember:
        return cls(
            id=strawberry.ID(to_global_id("LoyaltyMember", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            card_number=row.card_number,
            tier=row.tier,
            points_balance=BigInt(row.points_balance),
            status=LoyaltyMemberStatus(row.status.value),
            enrolled_at=row.enrolled_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> LoyaltyMember | None:
        return await load_one(info, "loyalty.member_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer who holds the card.")
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)
