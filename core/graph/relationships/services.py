"""Linking people to companies and households; every rule checked before anything is written."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.customers.services import get_customer
from unicrm.core.graph.relationships.models import CompanyContact, Household, HouseholdMember


async def _of_kind(
    session: AsyncSession, pk: uuid.UUID, kind: CustomerKind, field: str
) -> Customer:
    try:
        row = await get_customer(session, pk)
    except DomainError:
        raise DomainError.single("NOT_FOUND", f"no such {kind.value}", field) from None
    if row.kind is not kind:
        raise DomainError.single(
            "KIND_MISMATCH", f"expected a {kind.value}, got a {row.kind.value}", field
        )
    return row


async def link_contact(
    session: AsyncSession,
    person_id: uuid.UUID,
    company_id: uuid.UUID,
    *,
    role: str | None,
    is_primary: bool,
) -> CompanyContact:
    person = await _of_kind(session, person_id, CustomerKind.PERSON, "person_id")
    company = await _of_kind(session, company_id, CustomerKind.COMPANY, "company_id")
    link = await session.scalar(
        select(CompanyContact).where(
            CompanyContact.person_id == person.id, CompanyContact.company_id == company.id
        )
    )
    if link is None:
        link = CompanyContact(person_id=person.id, company_id=company.id)
        session.add(link)
    link.role = " ".join(role.split())[:150] if role else None
    if is_primary:
        await session.execute(
            update(CompanyContact)
            .where(CompanyContact.company_id == company.id, CompanyContact.person_id != person.id)
            .values(is_primary=False)
        )
    link.is_primary = is_primary
    await session.flush()
    emit(
        session,
        "customer.relationship_changed",
        {"company_id": str(company.id)},
        customer_id=person.id,
    )
    return link


async def unlink_contact(
    session: AsyncSession, person_id: uuid.UUID, company_id: uuid.UUID
) -> None:
    result = await session.execute(
        delete(CompanyContact).where(
            CompanyContact.person_id == person_id, CompanyContact.company_id == company_id
        )
    )
    if result.rowcount == 0:
        raise DomainError.single(
            "NOT_FOUND", "the person is not linked to that company", "person_id"
        )
    emit(
        session,
        "customer.relationship_changed",
        {"company_id": str(company_id)},
        customer_id=person_id,
    )


async def create_household(session: AsyncSession, name: str, head_id: uuid.UUID) -> Household:
    name = " ".join(name.split())
    if not name:
        raise DomainError.single("REQUIRED", "a household needs a name", "name")
    household = Household(name=name[:200])
    session.add(household)
    await session.flush()
    await add_member(session, household.id, head_id, is_head=True)
    return household


async def add_member(
    session: AsyncSession, household_id: uuid.UUID, customer_id: uuid.UUID, *, is_head: bool = False
) -> HouseholdMember:
    if await session.get(Household, household_id) is None:
        raise DomainError.single("NOT_FOUND", "no such household", "household_id")
    person = await _of_kind(session, customer_id, CustomerKind.PERSON, "customer_id")
    if await session.get(HouseholdMember, person.id) is not None:
        raise DomainError.single(
            "DUPLICATE", "the person already belongs to a household", "customer_id"
        )
    if is_head:
        await session.execute(
            update(HouseholdMember)
            .where(HouseholdMember.household_id == household_id)
            .values(is_head=False)
        )
    member = HouseholdMember(customer_id=person.id, household_id=household_id, is_head=is_head)
    session.add(member)
    await session.flush()
    return member


async def remove_member(session: AsyncSession, customer_id: uuid.UUID) -> None:
    member = await session.get(HouseholdMember, customer_id)
    if member is None:
        raise DomainError.single("NOT_FOUND", "the person belongs to no household", "customer_id")
    await session.delete(member)
    await session.flush()
