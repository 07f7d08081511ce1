"""``Customer.segments``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct
from unicrm.core.segments.types import Segment


@direct
async def segments(root: Customer, info: strawberry.Info) -> list[Segment] | None:
    rows = await info.context.loaders["core.segments_by_customer"].load(root.pk)
    return [Segment.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=segments,
                description="The saved segments the customer is a member of, in name order.",
            )
        ]
    }
