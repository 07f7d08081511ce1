"""``Customer.tags``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import loads
from unicrm.core.graph.tags.types import Tag


@loads("core.tags_by_customer", each=Tag.from_row)
async def tags(root: Customer, info: strawberry.Info) -> list[Tag]: ...


def FIELDS() -> dict[str, list[Any]]:
    return {"Customer": [strawberry.field(resolver=tags, description="Tags, in name order.")]}
