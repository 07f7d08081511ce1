"""``Customer.messages``; fresh field objects on every call."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select

from unicrm.core.errors import BadRequest, DomainError
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.pagination import (
    Connection,
    Page,
    PageRequest,
    count_of,
    decode_cursor,
    encode_cursor,
)
from unicrm.core.graph.plan import direct
from unicrm.core.messaging.loaders import MessagePage
from unicrm.core.messaging.models import Message as MessageRow
from unicrm.core.messaging.types import Message


def _page_key(customer: Customer, first: int | None, after: str | None, most: int) -> MessagePage:
    try:
        size = PageRequest(first=first, after=after).size(most)
        before = decode_cursor(after, 2, "after") if after is not None else None
    except DomainError as error:
        raise BadRequest(str(error)) from None
    if before is not None and not (
        isinstance(before[0], datetime) and isinstance(before[1], uuid.UUID)
    ):
        raise BadRequest("after is not a valid cursor")
    return MessagePage(customer.pk, size, None if before is None else tuple(before))


@direct
async def messages(
    root: Customer, info: strawberry.Info, first: int | None = None, after: str | None = None
) -> Connection[Message]:
    ctx = info.context
    key = _page_key(root, first, after, ctx.limits.max_page_size)
    rows = await ctx.loaders["core.messages_by_customer"].load(key)
    shown = rows[: key.size]
    page = Page(
        rows=shown,
        cursors=[encode_cursor((r.created_at, r.id)) for r in shown],
        has_next_page=len(rows) > key.size,
        has_previous_page=after is not None,
    )
    total = count_of(ctx.db, select(MessageRow.id).where(MessageRow.customer_id == root.pk))
    return page.connection(Message.from_row, total)


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=messages,
                description="Messages sent (or blocked) to the customer, newest first.",
            )
        ]
    }
