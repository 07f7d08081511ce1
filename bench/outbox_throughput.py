"""Outbox throughput: events written with their changes, then dispatched to a handler
(never run by CI).

.venv/bin/python bench/outbox_throughput.py [--database-url URL] [--events 20000] [--batch 100]

Writes ``--events`` events in transactions of ``--batch`` (as many mutations would), then runs
the dispatcher's work until all are delivered to one handler, which is idempotent by event
id like every handler must be. Prints events per second for writing and for dispatching.
SQLite in a temporary directory unless ``--database-url`` names a database (PostgreSQL:
``postgresql+asyncpg://postgres@127.0.0.1/unicrm_bench``, created and migrated first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from unicrm.core.config import BUILTIN_PLUGINS, load_settings
from unicrm.core.events.outbox import Event, emit
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.core.plugins.manager import load_installed
from unicrm.core.state import create_state


class BenchPlugin:
    """One handler of the benchmark's event type, counting what it receives."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    @hookimpl
    def plugin_manifest(self) -> PluginManifest:
        return PluginManifest(name="bench", version="0", title="Outbox benchmark")

    @hookimpl
    def register_event_handlers(self) -> dict[str, Any]:
        async def count(event: Event, session: Any) -> None:
            self.seen.add(str(event.id))

        return {"bench.tick": count}


def migrate(database_url: str) -> None:
    env = {**os.environ, "UNICRM_DATABASE_URL": database_url}
    command = Path(sys.executable).parent / "unicrm"
    subprocess.run([str(command), "db", "upgrade"], env=env, check=True)


async def bench(database_url: str, events: int, batch: int) -> None:
    plugin = BenchPlugin()
    plugins: dict[str, object] = {**load_installed(BUILTIN_PLUGINS), "bench": plugin}
    settings = load_settings(database_url=database_url, plugins=list(plugins))
    state = create_state(settings, plugins=plugins)
    started = time.perf_counter()
    for start in range(0, events, batch):
        async with state.db.transaction() as session:
            for n in range(start, min(start + batch, events)):
                emit(session, "bench.tick", {"n": n})
    written = time.perf_counter() - started
    started = time.perf_counter()
    while len(plugin.seen) < events:
        if not await state.events.dispatch_pending():
            break
    dispatched = time.perf_counter() - started
    await state.db.dispose()
    print(f"{state.db.engine.dialect.name}: {events} events in transactions of {batch}")
    print(f"written: {events / written:,.0f} events/s")
    print(f"dispatched to one handler: {len(plugin.seen) / dispatched:,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        asyncio.run(bench(url, args.events, args.batch))


if __name__ == "__main__":
    main()
