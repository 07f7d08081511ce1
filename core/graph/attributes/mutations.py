from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.attributes import models, services
from unicrm.core.graph.attributes.types import (
    AttributeDefineInput,
    AttributeDefinition,
    AttributeDefinitionPayload,
    AttributeErrorCode,
    AttributeFieldError,
    CustomerAttributesPayload,
    CustomerAttributesSetInput,
)
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate


@strawberry.type
class AttributeMutation:
    @strawberry.mutation(
        metadata=requires("core.tag:write"),
        description="Declare a custom attribute, or relabel one (its type never changes).",
    )
    async def attribute_define(
        self, info: strawberry.Info, input: AttributeDefineInput
    ) -> AttributeDefinitionPayload:
        async def work(session: AsyncSession) -> models.AttributeDefinition:
            data = services.Definition(
                key=input.key,
                label=input.label,
                type=models.AttributeType(input.type.value),
                choices=tuple(input.choices),
            )
            return await services.define_attribute(session, data)

        return await mutate(
            info,
            work,
            payload=AttributeDefinitionPayload,
            error_type=AttributeFieldError,
            codes=AttributeErrorCode,
            result=lambda row: {"attribute_definition": AttributeDefinition.from_row(row)},
        )

    @strawberry.mutation(
        metadata=requires("core.tag:write"),
        description="Set custom attribute values of a customer; null clears one. All or none.",
    )
    async def customer_attributes_set(
        self, info: strawberry.Info, input: CustomerAttributesSetInput
    ) -> CustomerAttributesPayload:
        async def work(session: AsyncSession) -> CustomerRow:
            customer_id = decode_id(input.customer_id, "Customer", "customer_id")
            values = [(item.key, item.value) for item in input.attributes]
            return await services.set_attributes(session, customer_id, values)

        return await mutate(
            info,
            work,
            payload=CustomerAttributesPayload,
            error_type=AttributeFieldError,
            codes=AttributeErrorCode,
            result=lambda row: {"customer": Customer.from_row(row)},
        )


MUTATION = AttributeMutation
