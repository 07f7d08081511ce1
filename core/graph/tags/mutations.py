from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.tags import models, services
from unicrm.core.graph.tags.types import (
    CustomerTagInput,
    CustomerTagPayload,
    Tag,
    TagCreateInput,
    TagError,
    TagErrorCode,
    TagPayload,
)

Change = Callable[..., Awaitable[tuple[CustomerRow, models.Tag]]]


async def _change_tag(
    info: strawberry.Info, input: CustomerTagInput, change: Change
) -> CustomerTagPayload:
    async def work(session: AsyncSession) -> tuple[CustomerRow, models.Tag]:
        ref = services.TagRef(
            tag_id=None if input.tag_id is None else decode_id(input.tag_id, "Tag", "tag_id"),
            name=input.name,
        )
        return await change(session, decode_id(input.customer_id, "Customer", "customer_id"), ref)

    return await mutate(
        info,
        work,
        payload=CustomerTagPayload,
        error_type=TagError,
        codes=TagErrorCode,
        result=lambda pair: {"customer": Customer.from_row(pair[0]), "tag": Tag.from_row(pair[1])},
    )


@strawberry.type
class TagMutation:
    @strawberry.mutation(
        metadata=requires("core.tag:write"),
        description="Create a tag; names are unique regardless of case.",
    )
    async def tag_create(self, info: strawberry.Info, input: TagCreateInput) -> TagPayload:
        async def work(session: AsyncSession) -> models.Tag:
            return await services.create_tag(session, input.name, input.color)

        return await mutate(
            info,
            work,
            payload=TagPayload,
            error_type=TagError,
            codes=TagErrorCode,
            result=lambda tag: {"tag": Tag.from_row(tag)},
        )

    @strawberry.mutation(
        metadata=requires("core.tag:write"),
        description="Tag a customer; a tag given by name is created if missing. "
        "Tagging twice changes nothing.",
    )
    async def customer_tag_add(
        self, info: strawberry.Info, input: CustomerTagInput
    ) -> CustomerTagPayload:
        return await _change_tag(info, input, services.add_tag)

    @strawberry.mutation(
        metadata=requires("core.tag:write"), description="Take a tag off a customer."
    )
    async def customer_tag_remove(
        self, info: strawberry.Info, input: CustomerTagInput
    ) -> CustomerTagPayload:
        return await _change_tag(info, input, services.remove_tag)


MUTATION = TagMutation
