from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.scalars import Money
from unicrm.plugins.sfa import models


@strawberry.enum(description="Where a deal stands in the sales pipeline.")
class DealStage(Enum):
    COLD = "cold"
    WARM = "warm"
    OPPORTUNITY = "opportunity"
    QUALIFY = "qualify"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


@guard("sfa.deal")
@strawberry.type(description="A sales opportunity with one customer.")
class Deal(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    title: str
    stage: DealStage
    amount: Money
    expected_close_date: date | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Deal) -> Deal:
        return cls(
            id=strawberry.ID(to_global_id("Deal", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            title=row.title,
            stage=DealStage(row.stage.value),
            amount=Money(amount=row.amount, currency=row.currency),
            expected_close_date=row.expected_close_date,
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Deal | None:
        return await load_one(info, "sfa.deal_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer the deal is with.")
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)
