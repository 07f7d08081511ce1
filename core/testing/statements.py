"""Counting the SQL statements a block of code runs: how tests prove there is no N+1."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from unicrm.core.state import AppState


class StatementCounter:
    """Counts the statements ``state``'s engine runs while the ``with`` block is open."""

    def __init__(self, state: AppState) -> None:
        self._engine = state.db.engine.sync_engine
        self.count = 0
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)
