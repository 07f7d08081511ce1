"""Relationship fields on Customer; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import loads
from unicrm.core.graph.relationships.types import CompanyContact, Household


def FIELDS() -> dict[str, list[Any]]:
    @loads("core.companies_by_person", each=CompanyContact.from_row)
    async def companies(root: Customer, info: strawberry.Info) -> list[CompanyContact]: ...

    @loads("core.contacts_by_company", each=CompanyContact.from_row)
    async def contacts(root: Customer, info: strawberry.Info) -> list[CompanyContact]: ...

    @loads("core.household_by_customer", one=Household.from_row)
    async def household(root: Customer, info: strawberry.Info) -> Household | None: ...

    @loads("core.subsidiaries_by_company", each=Customer.from_row)
    async def subsidiaries(root: Customer, info: strawberry.Info) -> list[Customer]: ...

    return {
        "Customer": [
            strawberry.field(resolver=companies, description="Companies this person works with."),
            strawberry.field(resolver=contacts, description="People linked to this company."),
            strawberry.field(resolver=household, description="The person's household."),
            strawberry.field(resolver=subsidiaries, description="Companies whose parent this is."),
        ]
    }
