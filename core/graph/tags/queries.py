from __future__ import annotations

import strawberry
from sqlalchemy import select

from unicrm.core.authz.declare import requires
from unicrm.core.graph.tags.models import Tag as TagRow
from unicrm.core.graph.tags.types import Tag


@strawberry.type
class TagQuery:
    @strawberry.field(
        metadata=requires("core.tag:read"),
        description="Every tag in name order; `search` keeps names containing it.",
    )
    async def tags(self, info: strawberry.Info, search: str | None = None) -> list[Tag]:
        stmt = select(TagRow).order_by(TagRow.name_key)
        if search and search.strip():
            stmt = stmt.where(TagRow.name_key.contains(search.strip().casefold(), autoescape=True))
        async with info.context.db.session() as session:
            rows = (await session.scalars(stmt)).all()
        return [Tag.from_row(r) for r in rows]


QUERY = TagQuery
