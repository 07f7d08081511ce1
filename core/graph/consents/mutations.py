from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.consents import services
from unicrm.core.graph.consents.models import ConsentStatus
from unicrm.core.graph.consents.types import (
    Consent,
    ConsentError,
    ConsentErrorCode,
    ConsentEvent,
    ConsentGrantInput,
    ConsentPayload,
    ConsentWithdrawInput,
)
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate


def _result(record: services.ConsentRecord) -> dict[str, Any]:
    return {
        "consent": Consent.from_row(record.current),
        "event": ConsentEvent.from_row(record.event),
        "customer": Customer.from_row(record.customer),
    }


async def _record(
    info: strawberry.Info, input: ConsentGrantInput | ConsentWithdrawInput, status: ConsentStatus
) -> ConsentPayload:
    async def work(session: AsyncSession) -> services.ConsentRecord:
        customer_id = decode_id(input.customer_id, "Customer", "customer_id")
        change = services.ConsentChange(
            purpose=input.purpose,
            channel=input.channel,
            status=status,
            source=input.source,
            policy_version=input.policy_version,
            occurred_at=input.occurred_at,
            evidence=input.evidence,
        )
        return await services.record_consent(session, customer_id, change)

    return await mutate(
        info,
        work,
        payload=ConsentPayload,
        error_type=ConsentError,
        codes=ConsentErrorCode,
        result=_result,
    )


@strawberry.type
class ConsentMutation:
    @strawberry.mutation(
        metadata=requires("core.consent:write"), description="Record that a customer gave consent."
    )
    async def consent_grant(
        self, info: strawberry.Info, input: ConsentGrantInput
    ) -> ConsentPayload:
        return await _record(info, input, ConsentStatus.GRANTED)

    @strawberry.mutation(
        metadata=requires("core.consent:write"),
        description="Record that a customer withdrew consent.",
    )
    async def consent_withdraw(
        self, info: strawberry.Info, input: ConsentWithdrawInput
    ) -> ConsentPayload:
        return await _record(info, input, ConsentStatus.WITHDRAWN)


MUTATION = ConsentMutation
