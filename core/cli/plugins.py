"""``unicrm plugins list``: installed plugins, their versions and requirements, and where
each one is enabled."""

from __future__ import annotations

from importlib.metadata import entry_points

import typer
from rich.table import Table

from unicrm.core.cli.runtime import NotMigrated, cli_of, err, out, require_migrated, run
from unicrm.core.graph.departments.services import DepartmentInfo, list_departments
from unicrm.core.plugins.manager import CORE_PLUGIN_NAME, ENTRY_POINT_GROUP
from unicrm.core.state import AppState

app = typer.Typer(help="Inspect plugins.", no_args_is_help=True)


async def _departments(state: AppState) -> list[DepartmentInfo] | None:
    try:
        await require_migrated(state)
    except NotMigrated as exc:
        err.print(f"departments unknown: {exc}", markup=False)
        return None
    async with state.db.session() as session:
        return await list_departments(session)


@app.command("list")
def list_plugins(ctx: typer.Context) -> None:
    """List plugins: installed or only available, version, requirements, enabled departments.

    Installed plugins (the ``plugins`` setting) own tables, migrations and event handlers;
    each department enables a subset of them in its GraphQL schema.
    """
    state = cli_of(ctx).state()
    departments = run(state, _departments)
    table = Table("plugin", "installed", "version", "requires", "enabled in", "title")
    for name, manifest in state.registry.manifests.items():
        if name == CORE_PLUGIN_NAME:
            enabled = "all"
        elif departments is None:
            enabled = "?"
        else:
            enabled = ", ".join(d.slug for d in departments if name in d.plugins) or "-"
        requires = ", ".join(manifest.requires) or "-"
        table.add_row(name, "yes", manifest.version, requires, enabled, manifest.title)
    available = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for name, module in sorted(available.items()):
        if name not in state.registry.manifests:
            table.add_row(name, "no", "", "", "-", f"available: {module}")
    out.print(table)
