from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.assets.types import Asset
from unicrm.core.graph.contracts import models
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.graph.products.types import Product
from unicrm.core.graph.scalars import Money, MoneyInput

ContractKind = strawberry.enum(models.ContractKind, description="What sort of agreement.")
ContractStatus = strawberry.enum(models.ContractStatus, description="Where a contract stands.")
BillingPeriod = strawberry.enum(models.BillingPeriod, description="How often it is billed.")


@guard("core.contract")
@strawberry.type(description="One change of a contract's status.")
class ContractStatusChange:
    from_status: ContractStatus | None = strawberry.field(description="Null when created.")
    to_status: ContractStatus
    changed_at: datetime
    changed_by: str | None = strawberry.field(description="The user or job that changed it.")
    reason: str | None

    @classmethod
    def from_row(cls, row: models.ContractStatusChange) -> ContractStatusChange:
        return cls(
            from_status=row.from_status,
            to_status=row.to_status,
            changed_at=row.changed_at,
            changed_by=row.changed_by,
            reason=row.reason,
        )


@guard("core.contract")
@strawberry.type(
    description="One period of a contract, subscription or maintenance plan; a renewal "
    "starts a new period that points back to this one."
)
class Contract(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID | None]
    product_pk: strawberry.Private[uuid.UUID | None]
    asset_pk: strawberry.Private[uuid.UUID | None]
    previous_pk: strawberry.Private[uuid.UUID | None]
    kind: ContractKind
    name: str
    plan: str | None
    start_date: date = strawberry.field(description="The first day covered.")
    end_date: date | None = strawberry.field(description="The last day covered; null: open.")
    renewal_date: date | None = strawberry.field(
        description="When the renewal is decided; reminders count down to it (else to the end)."
    )
    auto_renew: bool
    billing_period: BillingPeriod
    value: Money | None
    status: ContractStatus
    notes: str | None = strawberry.field(metadata={"pii": "profile"})
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Contract) -> Contract:
        return cls(
            id=strawberry.ID(to_global_id("Contract", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            product_pk=row.product_id,
            asset_pk=row.asset_id,
            previous_pk=row.previous_id,
            kind=row.kind,
            name=row.name,
            plan=row.plan,
            start_date=row.start_date,
            end_date=row.end_date,
            renewal_date=row.renewal_date,
            auto_renew=row.auto_renew,
            billing_period=row.billing_period,
            value=None
            if row.value is None or row.currency is None
            else Money(amount=row.value, currency=row.currency),
            status=row.status,
            notes=row.notes,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Contract | None:
        return await load_one(info, "core.contract_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer; null once the customer was erased.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return (
            None if self.customer_pk is None else await Customer.load_node(info, self.customer_pk)
        )

    @strawberry.field
    @direct
    async def product(self, info: strawberry.Info) -> Product | None:
        return None if self.product_pk is None else await Product.load_node(info, self.product_pk)

    @strawberry.field(description="The asset it covers (a maintenance plan's machine).")
    @direct
    async def asset(self, info: strawberry.Info) -> Asset | None:
        return None if self.asset_pk is None else await Asset.load_node(info, self.asset_pk)

    @strawberry.field(description="The period this one renewed.")
    @direct
    async def previous(
        self, info: strawberry.Info
    ) -> Annotated[Contract, strawberry.lazy(__name__)] | None:
        if self.previous_pk is None:
            return None
        return await Contract.load_node(info, self.previous_pk)

    @strawberry.field(description="Every status change of this period, oldest first.")
    @direct
    async def history(self, info: strawberry.Info) -> list[ContractStatusChange]:
        rows = await info.context.loaders["core.status_changes_by_contract"].load(self.pk)
        return [ContractStatusChange.from_row(r) for r in rows]


@strawberry.enum(description="Why a contract mutation failed.")
class ContractErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    INVALID_DATES = "invalid_dates"
    INVALID_STATUS = "invalid_status"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"


@strawberry.type
class ContractError:
    field: str | None
    code: ContractErrorCode
    message: str


@strawberry.input
class ContractCreateInput:
    customer_id: strawberry.ID
    kind: ContractKind
    name: str
    start_date: date
    billing_period: BillingPeriod
    end_date: date | None = None
    renewal_date: date | None = strawberry.field(
        default=None, description="Between the start and the end date."
    )
    auto_renew: bool = False
    plan: str | None = None
    product_id: strawberry.ID | None = None
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="An asset of the same customer; its product is the default."
    )
    value: MoneyInput | None = None
    notes: str | None = None


@strawberry.input(description="Omitted fields stay as they are; null clears an optional one.")
class ContractUpdateInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    plan: str | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    renewal_date: date | None = strawberry.UNSET
    auto_renew: bool | None = strawberry.UNSET
    value: MoneyInput | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.input
class ContractCancelInput:
    id: strawberry.ID
    reason: str | None = None


@strawberry.input
class ContractRenewInput:
    id: strawberry.ID


@strawberry.input
class ContractFilterInput:
    customer_id: strawberry.ID | None = None
    kind: list[ContractKind] | None = None
    status: list[ContractStatus] | None = None
    renewal_due_before: date | None = strawberry.field(
        default=None,
        description="Contracts whose renewal date (else end date) is on or before this day, "
        "soonest first.",
    )


@strawberry.type
class ContractPayload:
    errors: list[ContractError]
    contract: Contract | None = None
