from __future__ import annotations

import strawberry
from sqlalchemy import select

from unicrm.core.authz.declare import requires
from unicrm.core.graph.attributes.models import AttributeDefinition as DefinitionRow
from unicrm.core.graph.attributes.types import AttributeDefinition


@strawberry.type
class AttributeQuery:
    @strawberry.field(
        metadata=requires("core.tag:read"),
        description="Every custom attribute the organization declared, by key.",
    )
    async def attribute_definitions(self, info: strawberry.Info) -> list[AttributeDefinition]:
        async with info.context.db.session() as session:
            rows = (await session.scalars(select(DefinitionRow).order_by(DefinitionRow.key))).all()
        return [AttributeDefinition.from_row(r) for r in rows]


QUERY = AttributeQuery
