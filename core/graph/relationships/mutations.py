from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.relationships import services
from unicrm.core.graph.relationships.types import (
    CompanyContact,
    CompanyContactInput,
    CompanyContactPayload,
    CompanyContactRemoveInput,
    Household,
    HouseholdCreateInput,
    HouseholdMemberInput,
    HouseholdPayload,
    RelationshipError,
    RelationshipErrorCode,
)

ERRORS: dict[str, Any] = {"error_type": RelationshipError, "codes": RelationshipErrorCode}


@strawberry.type
class RelationshipMutation:
    @strawberry.mutation(
        metadata=requires("core.customer:write"),
        description="Link a person to a company, or change the link's role.",
    )
    async def company_contact_set(
        self, info: strawberry.Info, input: CompanyContactInput
    ) -> CompanyContactPayload:
        async def work(session: AsyncSession) -> Any:
            return await services.link_contact(
                session,
                decode_id(input.person_id, "Customer", "person_id"),
                decode_id(input.company_id, "Customer", "company_id"),
                role=input.role,
                is_primary=input.is_primary,
            )

        return await mutate(
            info,
            work,
            payload=CompanyContactPayload,
            **ERRORS,
            result=lambda row: {"contact": CompanyContact.from_row(row)},
        )

    @strawberry.mutation(
        metadata=requires("core.customer:write"), description="Remove a person's link to a company."
    )
    async def company_contact_remove(
        self, info: strawberry.Info, input: CompanyContactRemoveInput
    ) -> CompanyContactPayload:
        async def work(session: AsyncSession) -> Any:
            await services.unlink_contact(
                session,
                decode_id(input.person_id, "Customer", "person_id"),
                decode_id(input.company_id, "Customer", "company_id"),
            )

        return await mutate(
            info, work, payload=CompanyContactPayload, **ERRORS, result=lambda _: {}
        )

    @strawberry.mutation(
        metadata=requires("core.customer:write"),
        description="Create a household headed by a person.",
    )
    async def household_create(
        self, info: strawberry.Info, input: HouseholdCreateInput
    ) -> HouseholdPayload:
        async def work(session: AsyncSession) -> Any:
            head = decode_id(input.head_id, "Customer", "head_id")
            return await services.create_household(session, input.name, head)

        return await mutate(
            info,
            work,
            payload=HouseholdPayload,
            **ERRORS,
            result=lambda row: {"household": Household.from_row(row)},
        )

    @strawberry.mutation(
        metadata=requires("core.customer:write"), description="Add a person to a household."
    )
    async def household_member_add(
        self, info: strawberry.Info, input: HouseholdMemberInput
    ) -> HouseholdPayload:
        async def work(session: AsyncSession) -> Any:
            household_id = decode_id(input.household_id, "Household", "household_id")
            await services.add_member(
                session,
                household_id,
                decode_id(input.customer_id, "Customer", "customer_id"),
                is_head=input.is_head,
            )
            return await session.get(services.Household, household_id)

        return await mutate(
            info,
            work,
            payload=HouseholdPayload,
            **ERRORS,
            result=lambda row: {"household": Household.from_row(row)},
        )


MUTATION = RelationshipMutation
