"""``Customer.service``: what the service team needs about a customer in one query — purchases
(recent orders, lifetime value), products owned with serials and warranty, contracts with
renewal dates, every case and the satisfaction the customer expressed. Each list is one batched loader, so a page of customers costs
the same number of statements as one."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.assets.types import Asset
from unicrm.core.graph.contracts.types import Contract
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.plan import direct
from unicrm.core.graph.scalars import Money
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


@guard("crm.case")
@strawberry.type(description="How satisfied the customer said they were (CSAT, 1-5).")
class Satisfaction:
    answered: int
    average_score: float


@guard("crm.case")
@strawberry.type(description="The customer as the service team sees it.")
class CustomerService:
    customer_pk: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The newest orders (at most 20).")
    async def recent_orders(self, info: strawberry.Info, limit: int = 5) -> list[Order]:
        key = (self.customer_pk, max(0, min(limit, MAX_RECENT_ORDERS)))
        rows = await info.context.loaders["core.latest_orders_by_customer"].load(key)
        return [Order.from_row(r) for r in rows]

    @strawberry.field(description="Order count, first and last order, lifetime value.")
    async def purchases(self, info: strawberry.Info) -> PurchaseSummary | None:
        row = await info.context.loaders["crm.purchases_by_customer"].load(self.customer_pk)
        return None if row is None else PurchaseSummary(**row)

    @strawberry.field(description="Products owned, with serial numbers and warranty ends.")
    async def assets(self, info: strawberry.Info) -> list[Asset]:
        rows = await info.context.loaders["core.assets_by_customer"].load((self.customer_pk, ()))
        return [Asset.from_row(r) for r in rows]

    @strawberry.field(description="Contracts and subscriptions, with their renewal dates.")
    async def contracts(self, info: strawberry.Info) -> list[Contract]:
        key = (self.customer_pk, ())
        rows = await info.context.loaders["core.contracts_by_customer"].load(key)
        return [Contract.from_row(r) for r in rows]

    @strawberry.field(description="The customer's answered CSAT surveys; null when none.")
    async def satisfaction(self, info: strawberry.Info) -> Satisfaction | None:
        row = await info.context.loaders["crm.satisfaction_by_customer"].load(self.customer_pk)
        return None if row is None else Satisfaction(**row)

    @strawberry.field(description="Every case of the customer the caller may see, newest first.")
    async def cases(self, info: strawberry.Info) -> list[Case]:
        rows = await info.context.loaders["crm.cases_by_customer"].load(self.customer_pk)
        return [Case.from_row(r) for r in rows]


@direct
def service(root: Customer) -> CustomerService | None:
    return CustomerService(customer_pk=root.pk)
