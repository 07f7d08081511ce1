"""Duplicate candidates: other customers sharing an email, a phone or an external identity."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.base import Base
from unicrm.core.graph.customers.services import resolve_id

KEYS = (
    ("customer_email", ("address",), "SAME_EMAIL"),
    ("customer_phone", ("number",), "SAME_PHONE"),
    ("customer_identity", ("source", "external_id"), "SAME_IDENTITY"),
)
"""(table, columns that must be equal, reason); values are stored normalized, so equality is
exact. Tables that do not exist in this installation are skipped."""

WEIGHTS = {"SAME_IDENTITY": 0.9, "SAME_EMAIL": 0.8, "SAME_PHONE": 0.6}


@dataclass(frozen=True, slots=True)
class Candidate:
    customer_id: uuid.UUID
    reasons: tuple[str, ...]
    score: float


def score_of(reasons: tuple[str, ...]) -> float:
    """The chance that at least one reason is right, each taken as independent evidence."""
    doubt = 1.0
    for reason in reasons:
        doubt *= 1 - WEIGHTS[reason]
    return round(1 - doubt, 4)


async def duplicate_candidates(
    session: AsyncSession, customer_id: uuid.UUID, limit: int
) -> list[Candidate]:
    """The best ``limit`` candidates by score, then id; one statement after alias resolution."""
    customer_id = await resolve_id(session, customer_id)
    parts = []
    for name, columns, reason in KEYS:
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        mine, other = table.alias("mine"), table.alias("other")
        equal = [other.c[c] == mine.c[c] for c in columns]
        parts.append(
            select(other.c.customer_id, literal(reason))
            .select_from(mine.join(other, and_(*equal, other.c.customer_id != mine.c.customer_id)))
            .where(mine.c.customer_id == customer_id)
        )
    if not parts:
        return []
    reasons: dict[uuid.UUID, set[str]] = defaultdict(set)
    for other_id, reason in (await session.execute(union(*parts))).all():
        reasons[other_id].add(reason)
    found = [
        Candidate(pk, ordered, score_of(ordered))
        for pk, given in reasons.items()
        for ordered in [tuple(r for _, _, r in KEYS if r in given)]
    ]
    found.sort(key=lambda c: (-c.score, c.customer_id))
    return found[:limit]
