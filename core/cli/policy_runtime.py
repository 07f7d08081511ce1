"""What ``unicrm roles``, ``grants`` and ``policies`` share: a prepared state, running a change
(or its dry run), and naming users by e-mail."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.table import Table

from unicrm.core.authz.admin import Change, Editor, PolicyAdmin, user_subject
from unicrm.core.authz.defaults import sync_default_roles
from unicrm.core.authz.impact import AccessChange
from unicrm.core.authz.store import load_policies
from unicrm.core.authz.watcher import watcher_for
from unicrm.core.cli.runtime import cli_of, out, require_migrated, run
from unicrm.core.state import AppState

T = TypeVar("T")
CLI_EDITOR = "cli"
DRY_RUN = typer.Option(False, "--dry-run", help="Show who would gain or lose what; write nothing.")
DEPARTMENT = typer.Option("*", "--department", "-d", help="A department slug, or * for every one.")


def _state(ctx: typer.Context) -> AppState:
    from unicrm.schema.composer import build_schema

    return cli_of(ctx).state(schema_factory=build_schema)


async def prepare(state: AppState) -> None:
    """Migrated, default roles in place, the rules loaded; changes announced to servers."""
    await require_migrated(state)
    async with state.db.transaction() as session:
        await sync_default_roles(session, state.registry)
    await load_policies(state)
    state.policy_watcher = watcher_for(state.db, state.settings.redis_url)


def read(ctx: typer.Context, work: Callable[[AppState], Awaitable[T]]) -> T:
    async def go(state: AppState) -> T:
        await prepare(state)
        return await work(state)

    return run(_state(ctx), go)


async def subject_of(state: AppState, who: str) -> str:
    """A user's e-mail → ``user:<uuid>``; ``user:…``/``apikey:…`` pass through."""
    if "@" not in who:
        return who
    async with state.db.session() as session:
        return await user_subject(session, who)


def change(
    ctx: typer.Context, make: Callable[[PolicyAdmin], Awaitable[Change]], dry_run: bool
) -> None:
    """Apply a change (printing the new version) or show its dry run."""

    async def work(state: AppState) -> Any:
        await prepare(state)
        admin = PolicyAdmin(state, Editor(CLI_EDITOR))
        built = await make(admin)
        if dry_run:
            return await admin.preview(built)
        try:
            return await admin.apply(built)
        finally:
            await state.policy_watcher.stop()

    result = run(_state(ctx), work)
    if dry_run:
        print_impact(result)
    else:
        out.print(f"policy version {result}", markup=False)


def print_impact(changes: list[AccessChange]) -> None:
    if not changes:
        out.print("dry run: no one gains or loses anything", markup=False)
        return
    table = Table("subject", "department", "object", "action", "change", "scope before", "after")
    for c in changes:
        table.add_row(
            c.subject,
            c.department,
            c.obj,
            c.action,
            c.change,
            c.scope_before or "-",
            c.scope_after or "-",
        )
    out.print(table)
