"""Contact loaders, read with Core selects into light rows (no ORM hydration).

``rows_by_id`` and ``rows_by_customer`` build the fetch functions; the identities and consents
aggregates use them too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from unicrm.core.graph.contacts.models import CustomerAddress, CustomerEmail, CustomerPhone
from unicrm.core.graph.loaders import Fetch, many_per_key, one_per_key


def rows_by_id(table: Table) -> Fetch:
    async def fetch(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
        rows = (await session.execute(select(table).where(table.c.id.in_(keys)))).all()
        return [(r.id, r) for r in rows]

    return fetch


def rows_by_customer(table: Table, *order: ColumnElement[Any]) -> Fetch:
    """Rows of many customers in one statement, each customer's in ``order``."""

    async def fetch(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
        stmt = select(table).where(table.c.customer_id.in_(keys)).order_by(*order)
        return [(r.customer_id, r) for r in (await session.execute(stmt)).all()]

    return fetch


def _primary_first(table: Table) -> Fetch:
    return rows_by_customer(table, table.c.is_primary.desc(), table.c.created_at, table.c.id)


_EMAIL = CustomerEmail.__table__
_PHONE = CustomerPhone.__table__
_ADDRESS = CustomerAddress.__table__

LOADERS = {
    "core.email_by_id": one_per_key(rows_by_id(_EMAIL)),
    "core.phone_by_id": one_per_key(rows_by_id(_PHONE)),
    "core.address_by_id": one_per_key(rows_by_id(_ADDRESS)),
    "core.emails_by_customer": many_per_key(_primary_first(_EMAIL)),
    "core.phones_by_customer": many_per_key(_primary_first(_PHONE)),
    "core.addresses_by_customer": many_per_key(_primary_first(_ADDRESS)),
}
