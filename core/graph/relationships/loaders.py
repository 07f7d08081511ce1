from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.loaders import many_per_key, one_per_key
from unicrm.core.graph.relationships.models import CompanyContact, Household, HouseholdMember


async def _companies_by_person(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(CompanyContact)
        .where(CompanyContact.person_id.in_(keys))
        .order_by(CompanyContact.is_primary.desc(), CompanyContact.created_at)
    )
    return [(r.person_id, r) for r in rows]


async def _contacts_by_company(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(CompanyContact)
        .where(CompanyContact.company_id.in_(keys))
        .order_by(CompanyContact.is_primary.desc(), CompanyContact.created_at)
    )
    return [(r.company_id, r) for r in rows]


async def _household_by_customer(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.execute(
        select(HouseholdMember.customer_id, Household)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.customer_id.in_(keys))
    )
    return [(customer_id, household) for customer_id, household in rows]


async def _members_by_household(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(HouseholdMember)
        .where(HouseholdMember.household_id.in_(keys))
        .order_by(HouseholdMember.is_head.desc(), HouseholdMember.customer_id)
    )
    return [(r.household_id, r) for r in rows]


async def _subsidiaries(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(Customer)
        .where(Customer.parent_id.in_(keys))
        .order_by(Customer.display_name, Customer.id)
    )
    return [(r.parent_id, r) for r in rows]


LOADERS = {
    "core.companies_by_person": many_per_key(_companies_by_person),
    "core.contacts_by_company": many_per_key(_contacts_by_company),
    "core.household_by_customer": one_per_key(_household_by_customer),
    "core.members_by_household": many_per_key(_members_by_household),
    "core.subsidiaries_by_company": many_per_key(_subsidiaries),
}
