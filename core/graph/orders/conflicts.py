"""``INSERT … ON CONFLICT DO NOTHING`` on both databases.

Idempotent creates (an order keyed by its external id, a tag by its name) must survive two
writers racing for the same key. A plain INSERT that loses the race raises and aborts the
PostgreSQL transaction, and a SAVEPOINT to recover from it is not transactional under the
pysqlite/aiosqlite drivers (their SAVEPOINT opens and its RELEASE commits the transaction).
``ON CONFLICT DO NOTHING`` never aborts: the loser's insert waits for the winner's commit and
then inserts nothing, and the caller reads the winner's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_or_skip(
    session: AsyncSession, model: type[Any], values: dict[str, Any], conflict: Sequence[str]
) -> bool:
    """Insert one row unless one with the same ``conflict`` columns exists; True if inserted."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(stmt)
    return result.rowcount == 1
