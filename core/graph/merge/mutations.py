from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.errors import DomainError
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id, to_global_id
from unicrm.core.graph.merge import services
from unicrm.core.graph.merge.types import (
    CustomerMergeInput,
    CustomerMergePayload,
    MergeError,
    MergeErrorCode,
)
from unicrm.core.graph.mutations import mutate


def _ids(input: CustomerMergeInput) -> tuple[uuid.UUID, uuid.UUID]:
    """Both ids decoded, with an error for each one that is malformed."""
    decoded, errors = [], []
    for value, field in ((input.source_id, "source_id"), (input.target_id, "target_id")):
        try:
            decoded.append(decode_id(value, "Customer", field))
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    return decoded[0], decoded[1]


def _payload(result: services.MergeResult) -> dict:
    return {
        "customer": Customer.from_row(result.customer),
        "merge_id": strawberry.ID(to_global_id("CustomerMerge", result.merge.id)),
    }


@strawberry.type
class MergeMutation:
    @strawberry.mutation(
        metadata=requires("core.merge:write"),
        description="Merge the source customer into the target: every record of the source "
        "moves to the target, and the source's id keeps resolving to it.",
    )
    async def customer_merge(
        self, info: strawberry.Info, input: CustomerMergeInput
    ) -> CustomerMergePayload:
        manager = info.context.state.manager

        async def work(session: AsyncSession) -> services.MergeResult:
            source_id, target_id = _ids(input)
            return await services.merge_customers(session, source_id, target_id, manager=manager)

        return await mutate(
            info,
            work,
            payload=CustomerMergePayload,
            error_type=MergeError,
            codes=MergeErrorCode,
            result=_payload,
        )


MUTATION = MergeMutation
