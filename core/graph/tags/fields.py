"""``Customer.tags``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.tags.types import Tag


async def tags(root: Customer, info: strawberry.Info) -> list[Tag]:
    rows = await info.context.loaders["core.tags_by_customer"].load(root.pk)
    return [Tag.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {"Customer": [strawberry.field(resolver=tags, description="Tags, in name order.")]}
