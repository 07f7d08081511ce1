from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.identities import services
from unicrm.core.graph.identities.types import (
    CustomerIdentity,
    CustomerIdentityLinkInput,
    CustomerIdentityPayload,
    CustomerIdentityUnlinkInput,
    CustomerIdentityUnlinkPayload,
    IdentityError,
    IdentityErrorCode,
)
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        metadata=requires("core.identity:write"),
        description="Link an external identity to a customer; each is linked to one customer.",
    )
    async def customer_identity_link(
        self, info: strawberry.Info, input: CustomerIdentityLinkInput
    ) -> CustomerIdentityPayload:
        async def work(session: AsyncSession) -> Any:
            customer_id = decode_id(input.customer_id, "Customer", "customer_id")
            source = services.source_slug(input.source.value, input.source_name)
            return await services.link_identity(session, customer_id, source, input.external_id)

        return await mutate(
            info,
            work,
            payload=CustomerIdentityPayload,
            error_type=IdentityError,
            codes=IdentityErrorCode,
            result=lambda row: {"identity": CustomerIdentity.from_row(row)},
        )

    @strawberry.mutation(
        metadata=requires("core.identity:write"),
        description="Remove an external identity from a customer.",
    )
    async def customer_identity_unlink(
        self, info: strawberry.Info, input: CustomerIdentityUnlinkInput
    ) -> CustomerIdentityUnlinkPayload:
        async def work(session: AsyncSession) -> Any:
            customer_id = decode_id(input.customer_id, "Customer", "customer_id")
            identity_id = decode_id(input.id, "CustomerIdentity")
            return await services.unlink_identity(session, customer_id, identity_id)

        return await mutate(
            info,
            work,
            payload=CustomerIdentityUnlinkPayload,
            error_type=IdentityError,
            codes=IdentityErrorCode,
            result=lambda customer: {
                "removed_id": input.id,
                "customer": Customer.from_row(customer),
            },
        )


MUTATION = IdentityMutation
