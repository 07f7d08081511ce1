"""Generate the benchmark database on PostgreSQL (never run by CI).

.venv/bin/python -m bench.generate [--customers 100000] [--seed 7]
    [--database-url postgresql+asyncpg://postgres@127.0.0.1/unicrm_bench]

Drops and recreates the database (with ``--keep``, keeps one that already holds
``--customers`` customers and is at every migration head), migrates it with ``unicrm db upgrade``, creates the default
department (every installed plugin), the demo staff accounts (their password is the
demo's) and the demo's stores, then streams customers and everything attached to them into ``COPY`` in batches,
parents before children, with a progress bar in rows per second. The same seed gives the
same rows. Ends with ``ANALYZE``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.datagen.core import World, customer_rows, reference_rows
from bench.datagen.plugins import plugin_rows, plugin_world
from bench.datagen.rows import Rows
from unicrm.core.config import load_settings
from unicrm.core.demo import seed_staff
from unicrm.core.demo_workplace import seed_workplace
from unicrm.core.graph.departments.services import ensure_default
from unicrm.core.graph.users.models import User
from unicrm.core.migrations import runner
from unicrm.core.state import create_state

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1/unicrm_bench"


def asyncpg_dsn(database_url: str, database: str | None = None) -> str:
    url = make_url(database_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def holds(database_url: str, customers: int) -> bool:
    """Whether the database exists, is fully migrated and has exactly ``customers``."""
    try:
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        count = await conn.fetchval("SELECT count(*) FROM customer")
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()
    if count != customers:
        return False
    settings = load_settings(database_url=database_url)
    state = create_state(settings)
    try:
        return await runner.is_migrated(state.db, state.registry)
    finally:
        await state.db.dispose()


async def recreate(database_url: str) -> None:
    name = make_url(database_url).database
    conn = await asyncpg.connect(asyncpg_dsn(database_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def migrate(database_url: str) -> None:
    env = {**os.environ, "UNICRM_DATABASE_URL": database_url}
    command = Path(sys.executable).parent / "unicrm"
    subprocess.run([str(command), "db", "upgrade"], env=env, check=True)


async def prepare(database_url: str) -> World:
    """The default department and the staff, through the domain services."""
    settings = load_settings(database_url=database_url)
    state = create_state(settings)
    try:
        async with state.db.transaction() as session:
            department = await ensure_default(session, state.registry, settings.default_department)
            await seed_staff(session, department.slug)
            await seed_workplace(session, department_id=department.id, rng=random.Random(1))
        async with state.db.session() as session:
            owners = list(await session.scalars(select(User.id).order_by(User.email)))
    finally:
        await state.db.dispose()
    return World(department_id=department.id, owner_ids=owners)


async def fill(database_url: str, world: World, customers: int, seed: int, batch: int) -> None:
    rng = random.Random(seed)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    progress = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:>12,} rows  {task.fields[rate]:>9,.0f} rows/s"),
        TimeElapsedColumn(),
    )
    started, total = time.perf_counter(), 0
    try:
        with progress:
            task = progress.add_task("customers", total=customers, rows=0, rate=0.0)

            def on_rows(count: int) -> None:
                nonlocal total
                total += count
                rate = total / max(time.perf_counter() - started, 1e-9)
                progress.update(task, rows=total, rate=rate)

            rows = Rows(conn, on_rows)
            reference_rows(rows, world, rng)
            plugins = await plugin_world(conn, rows, rng)
            await rows.flush()
            for start in range(0, customers, batch):
                end = min(start + batch, customers)
                for n in range(start, end):
                    customer_id = customer_rows(rows, world, rng, n)
                    plugin_rows(rows, world, plugins, rng, customer_id, n)
                await rows.flush()
                progress.update(task, completed=end)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    elapsed = time.perf_counter() - started
    for name, count in rows.counts().items():
        print(f"{name:<24}{count:>12,}")
    print(f"{total:,} rows in {elapsed:.1f} s: {total / elapsed:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=2_000, help="Customers per COPY round.")
    parser.add_argument("--keep", action="store_true", help="Keep a matching database.")
    args = parser.parse_args()
    if args.keep and asyncio.run(holds(args.database_url, args.customers)):
        print(f"kept {make_url(args.database_url).database}: {args.customers:,} customers")
        return
    asyncio.run(recreate(args.database_url))
    migrate(args.database_url)
    world = asyncio.run(prepare(args.database_url))
    asyncio.run(fill(args.database_url, world, args.customers, args.seed, args.batch))


if __name__ == "__main__":
    main()
