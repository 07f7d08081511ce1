"""Relationship fields on Customer; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.relationships.types import CompanyContact, Household


def FIELDS() -> dict[str, list[Any]]:
    async def companies(root: Customer, info: strawberry.Info) -> list[CompanyContact]:
        rows = await info.context.loaders["core.companies_by_person"].load(root.pk)
        return [CompanyContact.from_row(r) for r in rows]

    async def contacts(root: Customer, info: strawberry.Info) -> list[CompanyContact]:
        rows = await info.context.loaders["core.contacts_by_company"].load(root.pk)
        return [CompanyContact.from_row(r) for r in rows]

    async def household(root: Customer, info: strawberry.Info) -> Household | None:
        row = await info.context.loaders["core.household_by_customer"].load(root.pk)
        return None if row is None else Household.from_row(row)

    async def subsidiaries(root: Customer, info: strawberry.Info) -> list[Customer]:
        rows = await info.context.loaders["core.subsidiaries_by_company"].load(root.pk)
        return [Customer.from_row(r) for r in rows]

    return {
        "Customer": [
            strawberry.field(resolver=companies, description="Companies this person works with."),
            strawberry.field(resolver=contacts, description="People linked to this company."),
            strawberry.field(resolver=household, description="The person's household."),
            strawberry.field(resolver=subsidiaries, description="Companies whose parent this is."),
        ]
    }
