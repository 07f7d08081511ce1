from __future__ import annotations

import uuid

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.users import models


@guard("core.user")
@strawberry.type(description="A member of staff who works in UniCRM.")
class User(Node):
    pk: strawberry.Private[uuid.UUID]
    email: str
    display_name: str
    is_active: bool

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", row.id)),
            pk=row.id,
            email=row.email,
            display_name=row.display_name,
            is_active=row.is_active,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> User | None:
        row = await info.context.loaders["core.user_by_id"].load(pk)
        return None if row is None else cls.from_row(row)
