"""The merge journal that core and the plugins' ``customer_merge`` hooks write to."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.merge.models import CustomerMergeJournalEntry


def jsonable(value: Any) -> Any:
    """``value`` as JSON: uuids as strings, times and dates as ISO 8601, decimals as strings."""
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


class MergeJournal:
    """Collects a merge's changes in order and writes them with one statement.

    Hooks call ``record`` for every column they change. A whole row deleted is recorded as
    column ``"*"`` with its data as ``old`` and ``new=None`` (a row inserted: the reverse), or
    through ``dropped``/``added``. ``row_id`` is the row's key before the change: a primary
    key value, or a ``{column: value}`` mapping for composite keys.
    """

    WHOLE_ROW = "*"

    def __init__(self, merge_id: uuid.UUID) -> None:
        self.merge_id = merge_id
        self.pending: list[dict[str, Any]] = []

    def _add(self, action: str, table: str, row_id: Any, **fields: Any) -> None:
        self.pending.append(
            {
                "merge_id": self.merge_id,
                "seq": len(self.pending),
                "action": action,
                "table_name": table,
                "row_pk": jsonable(row_id),
                "column_name": fields.get("column"),
                "old_value": jsonable(fields.get("old")),
                "new_value": jsonable(fields.get("new")),
                "data": jsonable(fields.get("data")),
            }
        )

    def record(self, table: str, row_id: Any, column: str, old: Any, new: Any) -> None:
        if column == self.WHOLE_ROW and new is None:
            self.dropped(table, row_id, old)
        elif column == self.WHOLE_ROW and old is None:
            self.added(table, row_id, new)
        else:
            self._add("MOVED", table, row_id, column=column, old=old, new=new)

    def dropped(self, table: str, row_id: Any, data: Mapping[str, Any]) -> None:
        self._add("DROPPED", table, row_id, data=data)

    def added(self, table: str, row_id: Any, data: Mapping[str, Any]) -> None:
        self._add("ADDED", table, row_id, data=data)

    async def write(self, session: AsyncSession) -> None:
        if self.pending:
            await session.execute(insert(CustomerMergeJournalEntry), self.pending)
