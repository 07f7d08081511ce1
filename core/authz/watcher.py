"""Telling every process that the policies changed, so each reloads within a second.

- ``RedisWatcher`` (when ``redis_url`` is configured): Redis pub/sub.
- ``PostgresWatcher`` (PostgreSQL without Redis): ``LISTEN``/``NOTIFY``.
- ``LocalWatcher`` (SQLite: one process): the states of this process that share a database,
  plus a once-a-second look at the latest policy version for changes made by the CLI.

A change is announced after its transaction commits (``notify``); every watcher, the writer's
own included, then calls its ``on_change`` callback, which reloads the rules from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

log = logging.getLogger("unicrm.authz")
CHANNEL = "unicrm_policy"
OnChange = Callable[[], Awaitable[None]]


class Watcher(ABC):
    """Base: ``start`` subscribes, ``notify`` announces a change, ``stop`` unsubscribes."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._on_change: OnChange | None = None

    async def start(self, on_change: OnChange) -> None:
        self._on_change = on_change

    @abstractmethod
    async def notify(self) -> None:
        """Tell every process watching the same policies that they changed."""

    async def stop(self) -> None:
        self._on_change = None

    async def _changed(self) -> None:
        if self._on_change is not None:
            try:
                await self._on_change()
            except Exception:  # a failed reload keeps the rules in force; the next one retries
                log.exception("policy reload failed")


_local: dict[str, set[LocalWatcher]] = {}


class LocalWatcher(Watcher):
    """In-process on SQLite; a change by another process (the command line) is noticed by
    reading the latest policy version once a second."""

    def __init__(self, key: str, database: Any, interval: float = 1.0) -> None:
        super().__init__(key)
        self._db = database
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self, on_change: OnChange) -> None:
        await super().start(on_change)
        _local.setdefault(self.key, set()).add(self)
        self._task = asyncio.get_running_loop().create_task(self._poll(await self._latest()))

    async def _latest(self) -> int | None:
        async with self._db.engine.connect() as conn:
            return await conn.scalar(text("SELECT max(number) FROM authz_policy_version"))

    async def _poll(self, seen: int | None) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                latest = await self._latest()
            except Exception:  # the database is busy or gone: try again next time
                log.warning("cannot read the policy version", exc_info=True)
                continue
            if latest != seen:
                seen = latest
                await self._changed()

    async def notify(self) -> None:
        for watcher in list(_local.get(self.key, ())):
            await watcher._changed()

    async def stop(self) -> None:
        _local.get(self.key, set()).discard(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await super().stop()


class PostgresWatcher(Watcher):
    """One dedicated connection listens; ``notify`` sends ``NOTIFY`` through the pool."""

    def __init__(self, key: str, database: Any) -> None:
        super().__init__(key)
        self._db = database
        self._conn: Any = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, on_change: OnChange) -> None:
        import asyncpg

        await super().start(on_change)
        url = make_url(self._db.url).set(drivername="postgresql")
        self._conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        await self._conn.add_listener(CHANNEL, self._received)

    def _received(self, *_: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._changed())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def notify(self) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})

    async def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
        await super().stop()


class RedisWatcher(Watcher):
    def __init__(self, key: str, redis_url: str) -> None:
        super().__init__(key)
        self._url = redis_url
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None

    @property
    def channel(self) -> str:
        return f"{CHANNEL}:{self.key}"

    async def start(self, on_change: OnChange) -> None:
        import redis.asyncio as redis

        await super().start(on_change)
        self._redis = redis.from_url(self._url)
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.channel)
        self._task = asyncio.get_running_loop().create_task(self._listen(pubsub))

    async def _listen(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    await self._changed()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def notify(self) -> None:
        if self._redis is not None:
            await self._redis.publish(self.channel, b"changed")
            return
        import redis.asyncio as redis

        client = redis.from_url(self._url)  # a process that only writes (the command line)
        try:
            await client.publish(self.channel, b"changed")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        await super().stop()


def watcher_for(database: Any, redis_url: str) -> Watcher:
    """Redis when configured, else LISTEN/NOTIFY on PostgreSQL, else in-process."""
    url = make_url(database.url)
    key = f"{url.host or ''}:{url.port or ''}/{url.database or ''}"
    if redis_url:
        return RedisWatcher(key, redis_url)
    if database.is_sqlite:
        return LocalWatcher(url.database or "", database)
    return PostgresWatcher(key, database)
