from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.tags import models


@guard("core.tag")
@strawberry.type(name="Tag", description="A label put on customers by hand.")
class Tag(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    color: str | None = strawberry.field(description="A display colour such as #1A2B3C.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Tag) -> Tag:
        return cls(
            id=strawberry.ID(to_global_id("Tag", row.id)),
            pk=row.id,
            name=row.name,
            color=row.color,
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Tag | None:
        row = await info.context.loaders["core.tag_by_id"].load(pk)
        return None if row is None else cls.from_row(row)


@strawberry.enum
class TagErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"


@strawberry.type
class TagError:
    field: str | None
    code: TagErrorCode
    message: str


@strawberry.input
class TagCreateInput:
    name: str
    color: str | None = None


@strawberry.input(description="A customer and a tag, given by id or by name (exactly one).")
class CustomerTagInput:
    customer_id: strawberry.ID
    tag_id: strawberry.ID | None = None
    name: str | None = strawberry.field(
        default=None, description="The tag's name; customerTagAdd creates the tag if missing."
    )


@strawberry.type
class TagPayload:
    errors: list[TagError]
    tag: Tag | None = None


@strawberry.type
class CustomerTagPayload:
    errors: list[TagError]
    customer: Customer | None = None
    tag: Tag | None = None
