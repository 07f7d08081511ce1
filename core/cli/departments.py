"""``unicrm departments``: departments and the plugins each one enables.

The database is the one source of truth; running servers pick up a change within a second.
"""

from __future__ import annotations

import typer
from rich.table import Table

from unicrm.core.cli.runtime import cli_of, out, require_migrated, run, split_names
from unicrm.core.graph.departments import services
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.state import AppState

app = typer.Typer(help="Manage departments and their enabled plugins.", no_args_is_help=True)


def _describe(department: DepartmentInfo) -> str:
    plugins = ", ".join(sorted(department.plugins)) or "core only"
    return f"{department.slug}: {plugins} (version {department.version})"


@app.command("create")
def create(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="Lowercase letters, digits and dashes, e.g. sales."),
    name: str = typer.Option("", help="Display name (default: the slug)."),
    plugins: str = typer.Option("", help="Comma-separated plugins to enable, e.g. ma,sfa."),
) -> None:
    """Create a department with a set of enabled plugins (each plugin's requirements too)."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> DepartmentInfo:
        await require_migrated(state)
        async with state.db.transaction() as session:
            return await services.create_department(
                session, state.registry, slug=slug, name=name, plugins=split_names(plugins)
            )

    out.print(f"created {_describe(run(state, work))}", markup=False)


def _change(ctx: typer.Context, slug: str, *, enable: list[str], disable: list[str]) -> None:
    state = cli_of(ctx).state()

    async def work(state: AppState) -> DepartmentInfo:
        await require_migrated(state)
        async with state.db.transaction() as session:
            return await services.set_plugins(
                session, state.registry, slug, enable=enable, disable=disable
            )

    out.print(_describe(run(state, work)), markup=False)


@app.command("enable")
def enable(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="The department."),
    plugins: list[str] = typer.Argument(..., help="Plugins to enable."),
) -> None:
    """Enable plugins for a department; its schema changes in every worker within a second."""
    _change(ctx, slug, enable=plugins, disable=[])


@app.command("disable")
def disable(
    ctx: typer.Context,
    slug: str = typer.Argument(..., help="The department."),
    plugins: list[str] = typer.Argument(..., help="Plugins to disable."),
) -> None:
    """Disable plugins for a department (refused while an enabled plugin requires them)."""
    _change(ctx, slug, enable=[], disable=plugins)


@app.command("list")
def list_departments(ctx: typer.Context) -> None:
    """List departments and their enabled plugins."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> list[DepartmentInfo]:
        await require_migrated(state)
        async with state.db.session() as session:
            return await services.list_departments(session)

    table = Table("slug", "name", "plugins", "version", "default")
    for d in run(state, work):
        plugins = ", ".join(sorted(d.plugins)) or "core only"
        table.add_row(d.slug, d.name, plugins, str(d.version), "yes" if d.is_default else "")
    out.print(table)
