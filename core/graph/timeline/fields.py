"""``Customer.timeline``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import BadRequest, DomainError
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.plan import direct
from unicrm.core.graph.queries import run_query
from unicrm.core.graph.timeline import services
from unicrm.core.graph.timeline.models import TimelineEntry as EntryRow
from unicrm.core.graph.timeline.types import TimelineEntry


@direct
async def timeline(
    root: Customer,
    info: strawberry.Info,
    first: int | None = None,
    after: str | None = None,
    kinds: list[str] | None = None,
) -> Connection[TimelineEntry]:
    ctx = info.context
    try:
        stmt = services.feed(root.pk, kinds)
    except DomainError as error:
        raise BadRequest(str(error)) from None

    async def work(session: AsyncSession) -> Page[EntryRow]:
        return await paginate(
            session,
            stmt,
            keys=list(services.FEED_KEYS),
            page=PageRequest(first=first, after=after),
            max_page_size=ctx.limits.max_page_size,
            descending=True,
            key_of=lambda r: (r.occurred_at, r.id),
        )

    page = await run_query(info, work)
    return page.connection(TimelineEntry.from_row, count_of(ctx.db, stmt))


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=timeline,
                description="Everything that happened to the customer, newest first; "
                "`kinds` keeps only entries of those kinds.",
            )
        ]
    }
