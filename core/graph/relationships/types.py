from __future__ import annotations

import uuid
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.graph.relationships import models


async def _customer(info: strawberry.Info, pk: uuid.UUID) -> Customer:
    row = await info.context.loaders["core.customer_by_id"].load(pk)
    return Customer.from_row(row)


@guard("core.customer")
@strawberry.type(description="A person's link to a company.")
class CompanyContact:
    person_pk: strawberry.Private[uuid.UUID]
    company_pk: strawberry.Private[uuid.UUID]
    role: str | None
    is_primary: bool

    @classmethod
    def from_row(cls, row: models.CompanyContact) -> CompanyContact:
        return cls(
            person_pk=row.person_id,
            company_pk=row.company_id,
            role=row.role,
            is_primary=row.is_primary,
        )

    @strawberry.field
    @direct
    async def person(self, info: strawberry.Info) -> Customer:
        return await _customer(info, self.person_pk)

    @strawberry.field
    @direct
    async def company(self, info: strawberry.Info) -> Customer:
        return await _customer(info, self.company_pk)


@guard("core.customer")
@strawberry.type(description="A person's place in a household.")
class HouseholdMember:
    customer_pk: strawberry.Private[uuid.UUID]
    is_head: bool

    @strawberry.field
    @direct
    async def customer(self, info: strawberry.Info) -> Customer:
        return await _customer(info, self.customer_pk)


@guard("core.customer")
@strawberry.type(description="People who live together and are served as one.")
class Household(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str

    @classmethod
    def from_row(cls, row: models.Household) -> Household:
        return cls(id=strawberry.ID(to_global_id("Household", row.id)), pk=row.id, name=row.name)

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Household | None:
        async with info.context.db.session() as session:
            row = await session.get(models.Household, pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    @direct
    async def members(self, info: strawberry.Info) -> list[HouseholdMember]:
        rows = await info.context.loaders["core.members_by_household"].load(self.pk)
        return [HouseholdMember(customer_pk=r.customer_id, is_head=r.is_head) for r in rows]


@strawberry.enum
class RelationshipErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    KIND_MISMATCH = "kind_mismatch"
    DUPLICATE = "duplicate"
    REQUIRED = "required"


@strawberry.type
class RelationshipError:
    field: str | None
    code: RelationshipErrorCode
    message: str


@strawberry.input
class CompanyContactInput:
    person_id: strawberry.ID
    company_id: strawberry.ID
    role: str | None = None
    is_primary: bool = False


@strawberry.input
class CompanyContactRemoveInput:
    person_id: strawberry.ID
    company_id: strawberry.ID


@strawberry.input
class HouseholdCreateInput:
    name: str
    head_id: strawberry.ID


@strawberry.input
class HouseholdMemberInput:
    household_id: strawberry.ID
    customer_id: strawberry.ID
    is_head: bool = False


@strawberry.type
class CompanyContactPayload:
    errors: list[RelationshipError]
    contact: CompanyContact | None = None


@strawberry.type
class HouseholdPayload:
    errors: list[RelationshipError]
    household: Household | None = None
