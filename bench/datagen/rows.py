"""All tables being filled, flushed parents first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from bench.datagen.copy import TableCopy
from unicrm.core.db.base import Base


class Rows:
    """``add(table, **values)`` buffers a row; ``flush()`` copies every buffered table in
    foreign-key order (``MetaData.sorted_tables``), so children never arrive before parents."""

    def __init__(self, conn: asyncpg.Connection, on_rows: Callable[[int], None]) -> None:
        self.conn, self.on_rows = conn, on_rows
        self.tables: dict[str, TableCopy] = {}
        self.order = {t.name: n for n, t in enumerate(Base.metadata.sorted_tables)}

    def has(self, table: str) -> bool:
        return table in Base.metadata.tables

    def add(self, table: str, **values: Any) -> None:
        copy = self.tables.get(table)
        if copy is None:
            copy = self.tables[table] = TableCopy(
                self.conn, Base.metadata.tables[table], self.on_rows
            )
        copy.add(values)

    async def flush(self) -> None:
        for name in sorted(self.tables, key=self.order.__getitem__):
            await self.tables[name].flush()

    def counts(self) -> dict[str, int]:
        return {name: copy.written for name, copy in sorted(self.tables.items())}
