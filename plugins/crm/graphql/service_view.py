"""``Customer.service``: what the service team needs about a customer in one query — purchases
(recent orders, lifetime value), products owned with serials and warranty, contracts with
renewal dates, every case and the satisfaction the customer expressed. Each list is one batched loader, so a page of customers costs
the same number of statements as one."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.assets.types import Asset
from unicrm.core.graph.contracts.types import Contract
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.plan import direct, loads
from unicrm.core.graph.scalars import Money
from unicrm.plugins.crm import models
from unicrm.plugins.crm.graphql.types import Case

MAX_RECENT_ORDERS = 20


@guard("crm.case")
@strawberry.type(description="What the customer bought, in orders placed (not cancelled).")
class PurchaseSummary:
    order_count: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    lifetime_value: list[Money] = strawberry.field(
        description="Historic lifetime value: the sum of the customer's orders, per currency."
    )


@strawberry.enum(description="How likely a customer is to stop buying.")
class ChurnRisk(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@guard("crm.retention")
@strawberry.type(
    description="RFM scores (quintiles 1-5, 5 the best), lifetime value and churn risk, "
    "recomputed nightly from the orders placed in the installation's currency."
)
class CustomerValue:
    orders: int
    first_order_at: datetime
    last_order_at: datetime
    recency_score: int
    frequency_score: int
    monetary_score: int
    rfm: str = strawberry.field(description="The three scores, e.g. 545.")
    historic_value: Money
    predicted_value: Money = strawberry.field(
        description="Average order value * orders per year * 3 years (docs/service.md)."
    )
    churn_risk: ChurnRisk
    lapsed: bool = strawberry.field(description="No order for 180 days: a win-back target.")
    computed_at: datetime

    @classmethod
    def from_row(cls, row: models.CustomerValue) -> CustomerValue:
        return cls(
            orders=row.orders,
            first_order_at=row.first_order_at,
            last_order_at=row.last_order_at,
            recency_score=row.recency_score,
            frequency_score=row.frequency_score,
            monetary_score=row.monetary_score,
            rfm=f"{row.recency_score}{row.frequency_score}{row.monetary_score}",
            historic_value=Money(amount=row.historic_value, currency=row.currency),
            predicted_value=Money(amount=row.predicted_value, currency=row.currency),
            churn_risk=ChurnRisk(row.churn_risk.value),
            lapsed=row.lapsed,
            computed_at=row.computed_at,
        )


@guard("crm.case")
@strawberry.type(description="How satisfied the customer said they were (CSAT, 1-5).")
class Satisfaction:
    answered: int
    average_score: float


def _every(view: CustomerService, _arguments: dict[str, Any]) -> tuple[uuid.UUID, tuple[()]]:
    """The key of core's per-customer lists, unfiltered."""
    return (view.customer_pk, ())


@guard("crm.case")
@strawberry.type(description="The customer as the service team sees it.")
class CustomerService:
    customer_pk: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The newest orders (at most 20).")
    @direct
    async def recent_orders(self, info: strawberry.Info, limit: int = 5) -> list[Order]:
        key = (self.customer_pk, max(0, min(limit, MAX_RECENT_ORDERS)))
        rows = await info.context.loaders["core.latest_orders_by_customer"].load(key)
        return [Order.from_row(r) for r in rows]

    @strawberry.field(description="Order count, first and last order, lifetime value.")
    @loads("crm.purchases_by_customer", key="customer_pk", one=lambda row: PurchaseSummary(**row))
    async def purchases(self, info: strawberry.Info) -> PurchaseSummary | None: ...

    @strawberry.field(description="Products owned, with serial numbers and warranty ends.")
    @loads("core.assets_by_customer", key=_every, each=Asset.from_row)
    async def assets(self, info: strawberry.Info) -> list[Asset]: ...

    @strawberry.field(description="Contracts and subscriptions, with their renewal dates.")
    @loads("core.contracts_by_customer", key=_every, each=Contract.from_row)
    async def contracts(self, info: strawberry.Info) -> list[Contract]: ...

    @strawberry.field(description="The customer's answered CSAT surveys; null when none.")
    @loads("crm.satisfaction_by_customer", key="customer_pk", one=lambda row: Satisfaction(**row))
    async def satisfaction(self, info: strawberry.Info) -> Satisfaction | None: ...

    @strawberry.field(
        description="RFM scores, lifetime value and churn risk; null until the customer bought "
        "and the nightly recomputation ran."
    )
    @loads("crm.value_by_customer", key="customer_pk", one=CustomerValue.from_row)
    async def value(self, info: strawberry.Info) -> CustomerValue | None: ...

    @strawberry.field(description="Every case of the customer the caller may see, newest first.")
    @loads("crm.cases_by_customer", key="customer_pk", each=Case.from_row)
    async def cases(self, info: strawberry.Info) -> list[Case]: ...


@direct
def service(root: Customer) -> CustomerService | None:
    return CustomerService(customer_pk=root.pk)
