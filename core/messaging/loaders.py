from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.loaders import many_per_key, one_per_key, rows_by
from unicrm.core.messaging.models import Message, MessageStatusChange, MessageTemplate, Suppression


def message_scope(ctx: Any) -> ColumnElement[bool] | None:
    """The messages the actor may read: those of the customers in its core.message scope."""
    return visible(ctx, "core.message", owner=Customer.owner_id, department=Customer.department_id)


@dataclass(frozen=True, slots=True)
class MessagePage:
    """One page of a customer's messages: ``size`` newer-first messages older than ``before``."""

    customer_id: uuid.UUID
    size: int
    before: tuple[datetime, uuid.UUID] | None = None


async def _pages(
    session: AsyncSession, keys: list[MessagePage], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    """Pages of many customers: one statement per distinct (size, cursor), one row extra each."""
    groups: dict[tuple[int, Any], dict[uuid.UUID, MessagePage]] = defaultdict(dict)
    for key in keys:
        groups[(key.size, key.before)][key.customer_id] = key
    table = Message.__table__
    out: list[tuple[Any, Any]] = []
    for (size, before), pages in groups.items():
        rank = (
            func.row_number()
            .over(
                partition_by=table.c.customer_id,
                order_by=(table.c.created_at.desc(), table.c.id.desc()),
            )
            .label("rank")
        )
        inner = (
            select(table, rank)
            .join(Customer, Customer.id == table.c.customer_id)
            .where(table.c.customer_id.in_(list(pages)))
        )
        if where is not None:
            inner = inner.where(where)
        if before is not None:
            inner = inner.where(tuple_(table.c.created_at, table.c.id) < before)
        page = inner.subquery()
        stmt = select(page).where(page.c.rank <= size + 1).order_by(page.c.customer_id, page.c.rank)
        out += [(pages[r.customer_id], r) for r in await session.execute(stmt)]
    return out


async def _messages_by_id(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    stmt = (
        select(Message)
        .outerjoin(Customer, Customer.id == Message.customer_id)
        .where(Message.id.in_(keys))
    )
    if where is not None:
        stmt = stmt.where(where)
    return [(r.id, r) for r in await session.scalars(stmt)]


change = MessageStatusChange.__table__

LOADERS = {
    "core.message_by_id": one_per_key(_messages_by_id, message_scope),
    "core.messages_by_customer": many_per_key(_pages, message_scope),
    "core.message_history_by_message": many_per_key(
        rows_by(change.c.message_id, change.c.occurred_at, change.c.id)
    ),
    "core.message_template_by_id": one_per_key(rows_by(MessageTemplate.__table__.c.id)),
    "core.suppression_by_id": one_per_key(rows_by(Suppression.__table__.c.id)),
}
