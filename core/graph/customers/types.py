from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Annotated

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers import models
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import loads


@strawberry.enum(description="Whether a customer is a person or a company.")
class CustomerKind(Enum):
    PERSON = "person"
    COMPANY = "company"


@guard("core.customer")
@strawberry.type(name="Customer", description="A person or company the organization serves.")
class Customer(Node):
    pk: strawberry.Private[uuid.UUID]
    parent_pk: strawberry.Private[uuid.UUID | None]
    owner_pk: strawberry.Private[uuid.UUID | None]
    department_pk: strawberry.Private[uuid.UUID | None]
    kind: CustomerKind
    display_name: str = strawberry.field(metadata={"pii": "profile"})
    first_name: str | None = strawberry.field(metadata={"pii": "profile"})
    last_name: str | None = strawberry.field(metadata={"pii": "profile"})
    birth_date: date | None = strawberry.field(metadata={"pii": "profile"})
    company_name: str | None
    tax_id: str | None = strawberry.field(metadata={"pii": "identity"})
    industry: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(
            id=strawberry.ID(to_global_id("Customer", row.id)),
            pk=row.id,
            parent_pk=row.parent_id,
            owner_pk=row.owner_id,
            department_pk=row.department_id,
            kind=CustomerKind(row.kind.value),
            display_name=row.display_name,
            first_name=row.first_name,
            last_name=row.last_name,
            birth_date=row.birth_date,
            company_name=row.company_name,
            tax_id=row.tax_id,
            industry=row.industry,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Customer | None:
        row = await info.context.loaders["core.customer_by_id"].load(pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The parent company in a company hierarchy.")
    @loads("core.customer_by_id", key="parent_pk", one=lambda row: Customer.from_row(row))
    async def parent(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy(__name__)] | None:
        """The parent company, loaded by ``parent_pk``."""


@strawberry.enum
class CustomerSortField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"


@strawberry.input
class CustomerOrder:
    field: CustomerSortField = CustomerSortField.NAME
    descending: bool = False


@strawberry.input
class CustomerFilterInput:
    kind: CustomerKind | None = None
    owner_id: strawberry.ID | None = None
    parent_id: strawberry.ID | None = None


@strawberry.enum
class CustomerErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    CYCLE = "cycle"
    DUPLICATE = "duplicate"


@strawberry.type
class CustomerError:
    field: str | None
    code: CustomerErrorCode
    message: str


@strawberry.input
class CustomerCreateInput:
    kind: CustomerKind
    first_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    company_name: str | None = None
    tax_id: str | None = None
    industry: str | None = None
    parent_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None
    client_mutation_id: str | None = None


@strawberry.input
class CustomerUpdateInput:
    id: strawberry.ID
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    company_name: str | None = strawberry.UNSET
    tax_id: str | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    parent_id: strawberry.ID | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    department_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class CustomerPayload:
    errors: list[CustomerError]
    customer: Customer | None = None
