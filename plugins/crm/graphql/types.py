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
from unicrm.plugins.crm import models


@strawberry.enum(description="Where a case stands on its way to resolution.")
class CaseStatus(Enum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


@strawberry.enum(description="How urgently a case needs an answer.")
class CasePriority(Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@guard("crm.case")
@strawberry.type(description="A service request or complaint raised by a customer.")
class Case(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    subject: str
    status: CaseStatus
    priority: CasePriority
    opened_at: datetime

    @classmethod
    def from_row(cls, row: models.Case) -> Case:
        return cls(
            id=strawberry.ID(to_global_id("Case", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            subject=row.subject,
            status=CaseStatus(row.status.value),
            priority=CasePriority(row.priority.value),
            opened_at=row.opened_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Case | None:
        return await load_one(info, "crm.case_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer who raised the case.")
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)
