from __future__ import annotations

import uuid

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.departments import models
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node


@guard("core.department")
@strawberry.type(description="A department of the organization and the modules it uses.")
class Department(Node):
    pk: strawberry.Private[uuid.UUID]
    slug: str
    name: str
    plugins: list[str]

    @classmethod
    def from_row(cls, row: models.Department) -> Department:
        return cls(
            id=strawberry.ID(to_global_id("Department", row.id)),
            pk=row.id,
            slug=row.slug,
            name=row.name,
            plugins=sorted(row.plugins),
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Department | None:
        row = await info.context.loaders["core.department_by_id"].load(pk)
        return None if row is None else cls.from_row(row)
