from __future__ import annotations

import uuid
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.graph.attributes import models
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node


@strawberry.enum(description="The type a custom attribute's values must have.")
class AttributeType(Enum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


@guard("core.tag")
@strawberry.type(name="AttributeDefinition", description="A custom attribute of customers.")
class AttributeDefinition(Node):
    pk: strawberry.Private[uuid.UUID]
    key: str
    label: str
    type: AttributeType
    choices: list[str] = strawberry.field(description="The allowed values of a CHOICE attribute.")

    @classmethod
    def from_row(cls, row: models.AttributeDefinition) -> AttributeDefinition:
        return cls(
            id=strawberry.ID(to_global_id("AttributeDefinition", row.id)),
            pk=row.id,
            key=row.key,
            label=row.label,
            type=AttributeType(row.type.value),
            choices=list(row.choices),
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> AttributeDefinition | None:
        async with info.context.db.session() as session:
            row = await session.get(models.AttributeDefinition, pk)
        return None if row is None else cls.from_row(row)


@guard("core.tag")
@strawberry.type(description="A customer's value of one custom attribute.")
class CustomerAttribute:
    key: str
    label: str
    type: AttributeType
    value: JSON = strawberry.field(
        description="A string, number or boolean; dates as YYYY-MM-DD strings."
    )


@strawberry.enum
class AttributeErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    TYPE_CHANGE = "type_change"
    UNKNOWN_ATTRIBUTE = "unknown_attribute"
    INVALID_VALUE = "invalid_value"


@strawberry.type(name="AttributeError")
class AttributeFieldError:
    field: str | None
    code: AttributeErrorCode
    message: str


@strawberry.input
class AttributeDefineInput:
    key: str = strawberry.field(description="a-z, 0-9 and _, starting with a letter.")
    label: str
    type: AttributeType
    choices: list[str] = strawberry.field(
        default_factory=list, description="Required for CHOICE attributes, empty otherwise."
    )


@strawberry.input
class CustomerAttributeInput:
    key: str
    value: JSON | None = strawberry.field(
        default=None, description="The value; null clears the attribute."
    )


@strawberry.input
class CustomerAttributesSetInput:
    customer_id: strawberry.ID
    attributes: list[CustomerAttributeInput]


@strawberry.type
class AttributeDefinitionPayload:
    errors: list[AttributeFieldError]
    attribute_definition: AttributeDefinition | None = None


@strawberry.type
class CustomerAttributesPayload:
    errors: list[AttributeFieldError]
    customer: Customer | None = None
