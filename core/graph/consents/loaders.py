from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.consents import services
from unicrm.core.graph.consents.models import ConsentEvent
from unicrm.core.graph.loaders import many_per_key, one_per_key, rows_by


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of a customer's consent history: ``size`` events older than ``before``."""

    customer_id: uuid.UUID
    size: int
    before: tuple[datetime, uuid.UUID] | None = None


async def _current(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    return [(c.customer_id, c) for c in await services.current_consents(session, keys)]


async def _history(session: AsyncSession, keys: list[HistoryPage]) -> list[tuple[Any, Any]]:
    """Pages of many customers: one statement per distinct (size, cursor), one row extra each.

    A list of customers asks for the same first page of each, so a level costs one statement.
    """
    groups: dict[tuple[int, Any], dict[uuid.UUID, HistoryPage]] = defaultdict(dict)
    for key in keys:
        groups[(key.size, key.before)][key.customer_id] = key
    out: list[tuple[Any, Any]] = []
    for (size, before), pages in groups.items():
        rows = await services.history_rows(session, list(pages), size + 1, before)
        out += [(pages[r.customer_id], r) for r in rows]
    return out


LOADERS = {
    "core.consents_by_customer": many_per_key(_current),
    "core.consent_event_by_id": one_per_key(rows_by(ConsentEvent.__table__.c.id)),
    "core.consent_events_by_customer": many_per_key(_history),
}
