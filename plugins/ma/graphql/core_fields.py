"""Fields MA adds to core types. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct
from unicrm.plugins.ma.graphql.types import LeadScore


def type_fields() -> dict[str, list[Any]]:
    @direct
    async def lead_score(root: Customer, info: strawberry.Info) -> LeadScore | None:
        row = await info.context.loaders["ma.lead_score_by_customer"].load(root.pk)
        if row is None:
            return None
        return LeadScore(value=row.value, model=row.model, updated_at=row.updated_at)

    return {"Customer": [strawberry.field(resolver=lead_score, description="Current lead score.")]}
