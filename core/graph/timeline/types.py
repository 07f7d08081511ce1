from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.timeline import models


@guard("core.timeline")
@strawberry.type(name="TimelineEntry", description="One thing that happened to a customer.")
class TimelineEntry(Node):
    pk: strawberry.Private[uuid.UUID]
    kind: str = strawberry.field(description="What happened, as writer.what_happened.")
    occurred_at: datetime
    title: str
    summary: str | None
    data: JSON
    source: str = strawberry.field(description="The plugin (or core) that wrote the entry.")
    actor: str | None = strawberry.field(description="Who made it happen, when known.")
    ref_type: str | None = strawberry.field(description="The type of the record it is about.")
    ref_id: strawberry.ID | None = strawberry.field(
        description="The global id of the record it is about (resolvable with node)."
    )

    @classmethod
    def from_row(cls, row: models.TimelineEntry) -> TimelineEntry:
        ref = (
            strawberry.ID(to_global_id(row.ref_type, row.ref_id))
            if row.ref_type and row.ref_id
            else None
        )
        return cls(
            id=strawberry.ID(to_global_id("TimelineEntry", row.id)),
            pk=row.id,
            kind=row.kind,
            occurred_at=row.occurred_at,
            title=row.title,
            summary=row.summary,
            data=row.data,
            source=row.source,
            actor=row.actor,
            ref_type=row.ref_type,
            ref_id=ref,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> TimelineEntry | None:
        async with info.context.db.session() as session:
            row = await session.get(models.TimelineEntry, pk)
        return None if row is None else cls.from_row(row)
