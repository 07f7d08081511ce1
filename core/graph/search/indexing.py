"""Keeping search documents in step with the rows they are made of, in the same transaction.

Listeners on every ORM ``Session`` note the customers whose name, emails, phones or identities
a flush wrote, and rebuild their documents just before the transaction commits. Aggregates
therefore need not call search. Writes that bypass the ORM unit of work (Core ``insert``,
``update``, ``delete`` statements) are invisible to the listeners: their writer calls
``mark_stale`` with the customers it touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from unicrm.core.graph.search.documents import SOURCES, rebuild_documents

STALE = "search.stale_customers"
_PART_COLUMNS = {name: column for name, column, _ in SOURCES}


def mark_stale(session: Session | AsyncSession, customer_ids: Iterable[uuid.UUID]) -> None:
    """Rebuild these customers' documents before the session's transaction commits."""
    info = session.info
    info.setdefault(STALE, set()).update(i for i in customer_ids if i is not None)


def _customers_of(obj: Any, *, whole: bool) -> list[uuid.UUID]:
    """The customers whose documents a new/deleted (``whole``) or changed ``obj`` affects."""
    name = getattr(getattr(type(obj), "__table__", None), "name", None)
    state = inspect(obj)
    if name == "customer":
        if whole or state.attrs.display_name.history.has_changes():
            return [obj.id]
        return []
    column = _PART_COLUMNS.get(name)
    if column is None:
        return []
    owner = state.attrs.customer_id.history
    if whole or owner.has_changes() or state.attrs[column].history.has_changes():
        return [*owner.added, *owner.unchanged, *owner.deleted]
    return []


def _after_flush(session: Session, _context: Any) -> None:
    found: list[uuid.UUID] = []
    for obj in session.new:
        found += _customers_of(obj, whole=True)
    for obj in session.dirty:
        found += _customers_of(obj, whole=False)
    for obj in session.deleted:
        found += _customers_of(obj, whole=True)
    if found:
        mark_stale(session, found)


def _before_commit(session: Session) -> None:
    session.flush()
    stale = session.info.pop(STALE, None)
    if stale:
        rebuild_documents(session.connection(), stale)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Forget what a rolled-back transaction marked; a savepoint's end leaves the marks be."""
    if transaction.parent is None:
        session.info.pop(STALE, None)


def install_listeners() -> None:
    """Listen on every ORM session (idempotent)."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
