"""The customer-data duties over one table whose rows belong to a customer.

A ``customer_merge``/``customer_export``/``customer_erase`` hook is mostly ``move_rows``,
``export_rows`` and ``erase_rows`` over each of its tables. Rules of a table's own (a survivor
keeps one membership, the higher score wins) are written with ``set_column`` and ``drop_row``,
which journal every change the way ``move_rows`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol, cast

from sqlalchemy import Column, CursorResult, delete, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from unicrm.core.db.base import Base
from unicrm.core.graph.merge.journal import jsonable

WHOLE_ROW = "*"
"""The journal's column for a whole row dropped (``old`` = its data) or added (``new``)."""


class Journal(Protocol):
    """Where a merge records its changes (``MergeJournal``); hooks may be given None."""

    def record(self, table: str, row_id: Any, column: str, old: Any, new: Any) -> None: ...


def _pk(model: type[Base]) -> Column[Any]:
    """The model's single primary-key column."""
    (pk,) = inspect(model).primary_key
    return pk


def _row_id(row: Base) -> Any:
    (row_id,) = inspect(type(row)).primary_key_from_instance(row)
    return row_id


async def move_rows(
    session: AsyncSession,
    model: type[Base],
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    journal: Journal | None,
    column: str = "customer_id",
) -> list[uuid.UUID]:
    """Give the source customer's rows to the target in one UPDATE; return the moved ids.

    Every moved row is journaled as ``column`` going from ``source_id`` to ``target_id``.
    """
    pk, owner = _pk(model), model.__table__.c[column]
    moved = list((await session.scalars(select(pk).where(owner == source_id))).all())
    if not moved:
        return moved
    await session.execute(update(model).where(owner == source_id).values({column: target_id}))
    if journal is not None:
        for row_id in moved:
            journal.record(model.__tablename__, row_id, column, source_id, target_id)
    return moved


async def export_rows(
    session: AsyncSession,
    model: type[Base],
    customer_id: uuid.UUID,
    order_by: Sequence[ColumnElement[Any]] = (),
    column: str = "customer_id",
) -> list[dict[str, Any]]:
    """The customer's rows as JSON-friendly dicts (DSAR), in ``order_by`` then key order.

    Values go through ``jsonable``: uuids and decimals become strings, times ISO 8601, enums
    their values.
    """
    table = model.__table__
    stmt = select(table).where(table.c[column] == customer_id).order_by(*order_by, _pk(model))
    return [jsonable(dict(row)) for row in (await session.execute(stmt)).mappings()]


async def erase_rows(
    session: AsyncSession, model: type[Base], customer_id: uuid.UUID, column: str = "customer_id"
) -> int:
    """Delete the customer's rows in one statement; return how many there were."""
    stmt = delete(model).where(model.__table__.c[column] == customer_id)
    result = cast("CursorResult[Any]", await session.execute(stmt))
    return result.rowcount


def row_data(row: Base) -> dict[str, Any]:
    """The row's column values by column name, as the journal keeps a dropped row."""
    mapper = inspect(row).mapper
    return {column.name: getattr(row, key) for key, column in mapper.columns.items()}


def set_column(row: Base, column: str, value: Any, journal: Journal | None) -> None:
    """Change one column of a loaded row, journaling the old and the new value."""
    if journal is not None:
        journal.record(row.__tablename__, _row_id(row), column, getattr(row, column), value)
    setattr(row, column, value)


async def drop_row(session: AsyncSession, row: Base, journal: Journal | None) -> None:
    """Delete a loaded row, journaled whole (column ``"*"``), and flush the delete at once so a
    unique key it held is free for the next change."""
    if journal is not None:
        journal.record(row.__tablename__, _row_id(row), WHOLE_ROW, row_data(row), None)
    await session.delete(row)
    await session.flush()
