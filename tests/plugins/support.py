"""Helpers shared by the plugin and schema tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event

from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.departments.services import create_department
from unicrm.core.graph.ids import to_global_id
from unicrm.core.state import AppState


async def add_department(state: AppState, slug: str, plugins: list[str]) -> None:
    async with state.db.transaction() as session:
        await create_department(session, state.registry, slug=slug, name=slug, plugins=plugins)
    state.departments.invalidate()


async def add_customers(state: AppState, *names: str) -> list[uuid.UUID]:
    """Create people through the core service; events are left undispatched."""
    async with state.db.transaction() as session:
        rows = [
            await create_customer(session, CustomerData(kind=CustomerKind.PERSON, first_name=n))
            for n in names
        ]
    return [r.id for r in rows]


async def add_rows(state: AppState, *rows: Any) -> None:
    async with state.db.transaction() as session:
        session.add_all(rows)


def customer_gid(pk: uuid.UUID) -> str:
    return to_global_id("Customer", pk)


class StatementCounter:
    """Counts the SQL statements the engine runs while the block is open."""

    def __init__(self, state: AppState) -> None:
        self._engine = state.db.engine.sync_engine
        self.count = 0

    def _count(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._count)
