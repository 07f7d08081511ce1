"""``unicrm serve``: prepare the database on first start, then run uvicorn."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import typer
import uvicorn
from sqlalchemy import select

from unicrm.core.authz.tokens import check_startup
from unicrm.core.cli.demo import DEFAULT_SIZE, DemoSummary, load_demo
from unicrm.core.cli.runtime import NotMigrated, cli_of, out, run
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.departments.services import (
    DepartmentInfo,
    ensure_default,
    list_departments,
)
from unicrm.core.migrations import runner
from unicrm.core.state import AppState

APP_FACTORY = "unicrm.core.app:create_app"
SOURCE_DIRS = [Path(__file__).resolve().parents[2] / d for d in ("core", "schema", "plugins")]


@dataclass(frozen=True, slots=True)
class FirstStart:
    """What ``prepare`` did, so ``serve`` can say it."""

    migrated: bool
    department: DepartmentInfo
    department_created: bool
    demo: DemoSummary | None


async def prepare(state: AppState, *, demo: bool, size: int, seed: int | None) -> FirstStart:
    """Make the database ready to serve.

    An embedded SQLite database is migrated automatically (it is the evaluation setup);
    PostgreSQL must be migrated explicitly with ``unicrm db upgrade``. The default department
    is created on first start; demo data is loaded once, into a database without customers.
    """
    migrated = False
    if not await runner.is_migrated(state.db, state.registry):
        if not state.db.is_sqlite:
            raise NotMigrated()
        await runner.upgrade(state.db, state.registry)
        migrated = True
    async with state.db.transaction() as session:
        created = not await list_departments(session)
        department = await ensure_default(
            session, state.registry, state.settings.default_department
        )
        empty = await session.scalar(select(Customer.id).limit(1)) is None
    summary = await load_demo(state, size=size, seed=seed) if demo and empty else None
    return FirstStart(migrated, department, created, summary)


def _fastest(preferred: str, fallback: str) -> str:
    return preferred if importlib.util.find_spec(preferred) is not None else fallback


def graphql_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/graphql"


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
    demo: bool = typer.Option(
        False, "--demo/--no-demo", help="Load demo data into a database without customers."
    ),
    demo_size: int = typer.Option(DEFAULT_SIZE, min=1, help="Demo customers to create."),
    seed: int | None = typer.Option(None, help="Demo data random seed."),
) -> None:
    """Serve GraphQL with uvicorn (uvloop and httptools when installed).

    On first start an empty SQLite database is migrated and given the default department
    with every installed plugin enabled.
    """
    check_startup(cli_of(ctx).settings)
    state = cli_of(ctx).state()
    ready = run(state, lambda s: prepare(s, demo=demo, size=demo_size, seed=seed))
    if ready.migrated:
        out.print("migrated the database to every head", markup=False)
    if ready.department_created:
        plugins = ", ".join(sorted(ready.department.plugins)) or "none"
        out.print(f"created department {ready.department.slug} (plugins: {plugins})", markup=False)
    if ready.demo is not None:
        out.print(str(ready.demo), markup=False)
    out.print(f"UniCRM GraphQL: {graphql_url(host, port)}", markup=False)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        reload_dirs=[str(d) for d in SOURCE_DIRS if d.is_dir()] if reload else None,
        loop=_fastest("uvloop", "asyncio"),
        http=_fastest("httptools", "h11"),
    )
