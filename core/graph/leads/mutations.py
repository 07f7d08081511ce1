from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers.models import LifecycleStage as RowStage
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.leads import lifecycle, models, services
from unicrm.core.graph.leads.types import (
    CustomerLifecycleStagePayload,
    CustomerLifecycleStageSetInput,
    Lead,
    LeadAssignInput,
    LeadConvertInput,
    LeadCreateInput,
    LeadDisqualifyInput,
    LeadError,
    LeadErrorCode,
    LeadMatchedBy,
    LeadPayload,
    LeadUpdateInput,
    LeadUpsertInput,
    LeadUpsertOutcome,
    LeadUpsertPayload,
)
from unicrm.core.graph.mutations import mutate


def _optional_id(value: str | None, field: str, type_name: str) -> Any:
    return None if value is None else decode_id(value, type_name, field)


def _given(value: Any, convert: Callable[[Any], Any]) -> Any:
    if value is strawberry.UNSET:
        return services.UNSET
    return None if value is None else convert(value.value)


async def _lead_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Lead]]
) -> LeadPayload:
    return await mutate(
        info,
        work,
        payload=LeadPayload,
        error_type=LeadError,
        codes=LeadErrorCode,
        result=lambda lead: {"lead": Lead.from_row(lead)},
    )


def _upserted(result: services.UpsertResult) -> dict[str, Any]:
    return {
        "lead": Lead.from_row(result.lead),
        "customer": Customer.from_row(result.customer),
        "outcome": LeadUpsertOutcome(result.outcome.value),
        "matched_by": None if result.matched_by is None else LeadMatchedBy(result.matched_by.value),
    }


@strawberry.type
class LeadMutation:
    @strawberry.mutation(
        metadata=requires("core.lead:write"),
        description="Open a lead for a customer without an open lead; the owner is notified.",
    )
    async def lead_create(self, info: strawberry.Info, input: LeadCreateInput) -> LeadPayload:
        caller = info.context.actor.user_id

        async def work(session: AsyncSession) -> models.Lead:
            data = services.LeadData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                source=models.LeadSource(input.source.value),
                temperature=models.LeadTemperature(input.temperature.value),
                owner_id=_optional_id(input.owner_id, "owner_id", "User") or caller,
                external_source=input.external_source,
                external_id=input.external_id,
            )
            return await services.create_lead(session, data)

        return await _lead_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.lead:write"),
        description="Push a lead from another system: matched by external id, e-mail, then "
        "phone; never creates a duplicate. See docs/leads.md.",
    )
    async def lead_upsert(self, info: strawberry.Info, input: LeadUpsertInput) -> LeadUpsertPayload:
        async def work(session: AsyncSession) -> services.UpsertResult:
            data = services.LeadUpsertData(
                source=models.LeadSource(input.source.value),
                external_source=input.external_source,
                external_id=input.external_id,
                email=input.email,
                phone=input.phone,
                first_name=input.first_name,
                last_name=input.last_name,
                temperature=None
                if input.temperature is None
                else models.LeadTemperature(input.temperature.value),
                owner_id=_optional_id(input.owner_id, "owner_id", "User"),
                province=input.province,
                policy=services.DedupePolicy(input.policy.value),
            )
            return await services.upsert_lead(session, data)

        return await mutate(
            info,
            work,
            payload=LeadUpsertPayload,
            error_type=LeadError,
            codes=LeadErrorCode,
            result=_upserted,
        )

    @strawberry.mutation(
        metadata=requires("core.lead:write"),
        description="Change an open lead's temperature (kept in its history) or source.",
    )
    async def lead_update(self, info: strawberry.Info, input: LeadUpdateInput) -> LeadPayload:
        async def work(session: AsyncSession) -> models.Lead:
            return await services.update_lead(
                session,
                decode_id(input.id, "Lead"),
                temperature=_given(input.temperature, models.LeadTemperature),
                source=_given(input.source, models.LeadSource),
            )

        return await _lead_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.lead:write"),
        description="Give an open lead to another owner, who gets a notification.",
    )
    async def lead_assign(self, info: strawberry.Info, input: LeadAssignInput) -> LeadPayload:
        async def work(session: AsyncSession) -> models.Lead:
            return await services.assign_lead(
                session, decode_id(input.id, "Lead"), decode_id(input.owner_id, "User", "owner_id")
            )

        return await _lead_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.lead:write"),
        description="Convert an open lead: the customer becomes an opportunity and "
        "lead.converted is emitted (SFA opens a deal). A closed lead is an error.",
    )
    async def lead_convert(self, info: strawberry.Info, input: LeadConvertInput) -> LeadPayload:
        async def work(session: AsyncSession) -> models.Lead:
            return await services.convert_lead(session, decode_id(input.id, "Lead"))

        return await _lead_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.lead:write"), description="Close an open lead, saying why."
    )
    async def lead_disqualify(
        self, info: strawberry.Info, input: LeadDisqualifyInput
    ) -> LeadPayload:
        async def work(session: AsyncSession) -> models.Lead:
            return await services.disqualify_lead(
                session, decode_id(input.id, "Lead"), input.reason
            )

        return await _lead_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.customer:write"),
        description="Put a customer in a lifecycle stage, with a reason; kept in its history.",
    )
    async def customer_lifecycle_stage_set(
        self, info: strawberry.Info, input: CustomerLifecycleStageSetInput
    ) -> CustomerLifecycleStagePayload:
        async def work(session: AsyncSession) -> Any:
            return await lifecycle.set_stage(
                session,
                decode_id(input.customer_id, "Customer", "customer_id"),
                RowStage(input.stage.value),
                input.reason,
            )

        return await mutate(
            info,
            work,
            payload=CustomerLifecycleStagePayload,
            error_type=LeadError,
            codes=LeadErrorCode,
            result=lambda customer: {"customer": Customer.from_row(customer)},
        )


MUTATION = LeadMutation
