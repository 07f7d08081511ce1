"""The reads of one HTTP request on one database connection.

A customer-360 page resolves a dozen DataLoader batches. With a session each, every batch
paid a pool checkout with its liveness ping, a BEGIN and a ROLLBACK around its one statement:
four round trips and most of the request's CPU. ``RequestReads`` checks a PostgreSQL
connection out once, at the first read, in autocommit, and lends it to one batch at a time.
In autocommit each statement sees what is committed when it runs, as separate sessions did,
so a mutation's payload still reads its own writes.

SQLite keeps a session per batch: its connections are in-process and cheap, and sharing one
would need the driver's transaction emulation (see ``database._sqlite_begin``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from unicrm.core.db.database import Database


class RequestReads:
    """Lends one autocommit connection to one read at a time; ``close()`` returns it."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self._conn: AsyncConnection | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for one batch of reads. Callers must not wait for another read inside
        it (a DataLoader's ``fetch`` never does), or they would wait for themselves."""
        if self._db.is_sqlite:
            async with self._db.session() as session:
                yield session
            return
        async with self._lock:
            if self._conn is None:
                conn = await self._db.engine.connect()
                self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            async with AsyncSession(bind=self._conn, expire_on_commit=False) as session:
                yield session

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()
