"""Rows into PostgreSQL through ``COPY ... FROM STDIN (FORMAT csv)``, in bounded chunks."""

from __future__ import annotations

import csv
import enum
import io
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import Table

NULL = "\\N"
"""The ``COPY`` null marker; with ``FORCE_NULL`` it means NULL even quoted, while an empty
string stays an empty string."""


def _csv_value(value: Any) -> Any:
    """A Python value as CSV text PostgreSQL parses."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, uuid.UUID | datetime | date):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"no CSV form for {type(value).__name__}")


def _default_of(table: Table, name: str) -> Callable[[], Any] | None:
    default = table.c[name].default
    if default is None:
        return None
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps callables to take a context
    if default.is_scalar:
        return lambda: default.arg
    return None


class TableCopy:
    """Buffers rows of one table until ``flush`` sends them with one ``COPY``.

    The generator flushes tables parents first after each batch of customers, so foreign
    keys are checked as usual and memory stays bounded by the batch.

    Rows are mappings of column name to value; a column a row leaves out takes the model's
    Python default (``id``, ``created_at``, enum defaults) or NULL. A primary key without a
    Python default (an identity column) is left out of the ``COPY`` for the server to fill.
    """

    def __init__(self, conn: asyncpg.Connection, table: Table, on_rows: Callable[[int], None]):
        self.conn, self.table, self.on_rows = conn, table, on_rows
        self.columns: list[str] | None = None
        self.defaults: dict[str, Callable[[], Any]] = {}
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, quoting=csv.QUOTE_NONNUMERIC)
        self.pending = 0
        self.written = 0

    def _start(self, row: Mapping[str, Any]) -> None:
        unknown = set(row) - set(self.table.c.keys())
        if unknown:
            raise KeyError(f"{self.table.name} has no column {sorted(unknown)[0]!r}")
        self.columns = []
        for column in self.table.c:
            make = _default_of(self.table, column.name)
            if make is not None:
                self.defaults[column.name] = make
            if make is not None or column.name in row or not column.primary_key:
                self.columns.append(column.name)

    def add(self, row: Mapping[str, Any]) -> None:
        if self.columns is None:
            self._start(row)
        assert self.columns is not None
        values = []
        for name in self.columns:
            if name in row:
                values.append(_csv_value(row[name]))
            elif name in self.defaults:
                values.append(_csv_value(self.defaults[name]()))
            else:
                values.append(NULL)
        self.writer.writerow(values)
        self.pending += 1

    async def flush(self) -> None:
        if not self.pending:
            return
        data = self.buffer.getvalue().encode()
        self.buffer.seek(0)
        self.buffer.truncate()
        await self.conn.copy_to_table(
            self.table.name,
            source=io.BytesIO(data),
            columns=self.columns,
            format="csv",
            null=NULL,
            force_null=self.columns,
        )
        self.written += self.pending
        self.on_rows(self.pending)
        self.pending = 0
