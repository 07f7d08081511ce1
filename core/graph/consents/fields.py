"""Consent fields on Customer. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select

from unicrm.core.errors import BadRequest, DomainError
from unicrm.core.graph.consents import models, services
from unicrm.core.graph.consents.loaders import HistoryPage
from unicrm.core.graph.consents.types import Consent, ConsentChannel, ConsentEvent, ConsentPurpose
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.pagination import (
    Connection,
    Page,
    PageRequest,
    count_of,
    decode_cursor,
    encode_cursor,
)
from unicrm.core.graph.plan import direct, loads


def _page_key(customer: Customer, first: int | None, after: str | None, max_size: int) -> Any:
    try:
        size = PageRequest(first=first, after=after).size(max_size)
        before = decode_cursor(after, 2, "after") if after is not None else None
    except DomainError as error:
        raise BadRequest(str(error)) from None
    if before is not None and not (
        isinstance(before[0], datetime) and isinstance(before[1], uuid.UUID)
    ):
        raise BadRequest("after is not a valid cursor")
    return HistoryPage(customer.pk, size, None if before is None else tuple(before))


def FIELDS() -> dict[str, list[Any]]:
    @loads("core.consents_by_customer", each=Consent.from_row)
    async def consents(root: Customer, info: strawberry.Info) -> list[Consent]: ...

    @direct
    async def consent_history(
        root: Customer, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[ConsentEvent]:
        ctx = info.context
        key = _page_key(root, first, after, ctx.limits.max_page_size)
        rows = await ctx.loaders["core.consent_events_by_customer"].load(key)
        shown = rows[: key.size]
        page = Page(
            rows=shown,
            cursors=[encode_cursor((r.occurred_at, r.id)) for r in shown],
            has_next_page=len(rows) > key.size,
            has_previous_page=after is not None,
        )
        row = models.ConsentEvent
        total = count_of(ctx.db, select(row.id).where(row.customer_id == root.pk))
        return page.connection(ConsentEvent.from_row, total)

    @direct
    async def can_contact(
        root: Customer,
        info: strawberry.Info,
        purpose: ConsentPurpose,
        channel: ConsentChannel = models.ConsentChannel.ANY,
    ) -> bool | None:
        try:
            services.check_pair(purpose, channel)
        except DomainError as error:
            raise BadRequest(str(error)) from None
        rows = await info.context.loaders["core.consents_by_customer"].load(root.pk)
        return any(
            r.purpose is purpose
            and r.channel is channel
            and r.status is models.ConsentStatus.GRANTED
            for r in rows
        )

    return {
        "Customer": [
            strawberry.field(resolver=consents, description="Current consents."),
            strawberry.field(
                resolver=consent_history, description="Every grant and withdrawal, newest first."
            ),
            strawberry.field(
                resolver=can_contact,
                description="Whether consent for the purpose over the channel is granted now.",
            ),
        ]
    }
