from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key
from unicrm.core.graph.preferences.models import CustomerPreference, PreferenceNote
from unicrm.core.graph.preferences.services import favourites_of, modifiers_of


async def _preferences_by_customer(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(CustomerPreference).where(CustomerPreference.customer_id.in_(keys))
    )
    return [(r.customer_id, r) for r in rows]


async def _notes_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(select(PreferenceNote).where(PreferenceNote.id.in_(keys)))
    return [(r.id, r) for r in rows]


def _ranked(stmt_for: Any) -> Any:
    """A fetch for keys ``(customer_id, limit)``: one statement ranking every customer of the
    batch, each customer's rows cut to the key's limit."""

    async def fetch(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
        most = max(limit for _, limit in keys)
        by_customer: dict[Any, list[Any]] = defaultdict(list)
        stmt = stmt_for(session.get_bind().dialect.name, list({c for c, _ in keys}), most)
        for row in (await session.execute(stmt)).all():
            by_customer[row.customer_id].append(row)
        return [
            ((customer, limit), row)
            for customer, limit in keys
            for row in by_customer[customer][:limit]
        ]

    return fetch


LOADERS = {
    "core.preference_by_customer": one_per_key(_preferences_by_customer),
    "core.preference_note_by_id": one_per_key(_notes_by_id),
    "core.preference_notes_by_customer": many_per_key(
        entities_by(PreferenceNote.customer_id, PreferenceNote.created_at, PreferenceNote.id)
    ),
    "core.favourites_by_customer": many_per_key(
        _ranked(lambda _dialect, ids, limit: favourites_of(ids, limit))
    ),
    "core.modifiers_by_customer": many_per_key(_ranked(modifiers_of)),
}
