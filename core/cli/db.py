"""``unicrm db``: migrate the database (Alembic, one branch for core and one per plugin)."""

from __future__ import annotations

import typer
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError

from unicrm.core.authz.defaults import sync_default_roles
from unicrm.core.cli.runtime import cli_of, out, run
from unicrm.core.errors import PluginError
from unicrm.core.migrations import runner
from unicrm.core.state import AppState

app = typer.Typer(help="Migrate the database.", no_args_is_help=True)


def _script(state: AppState) -> ScriptDirectory:
    return ScriptDirectory.from_config(runner.alembic_config(state.registry, state.db.url))


def _position(state: AppState, current: set[str]) -> str:
    """Each branch's newest applied revision, ``core@1a2b3c, ma@4d5e6f``.

    ``alembic_version`` leaves out a revision another branch depends on (core's, under the
    plugin branches), so the applied set is everything the stored revisions reach. A stored
    revision this installation does not know (an uninstalled plugin's) is shown as it is.
    """
    script = _script(state)
    known = {r.revision for r in script.walk_revisions()}
    found = current & known
    applied = (
        {r.revision for r in script.iterate_revisions(tuple(found), "base")} if found else set()
    )
    shown = sorted(current - known)
    for migrations in state.registry.migrations.values():
        branch = migrations.branch
        newest = next(
            (
                r.revision
                for r in script.iterate_revisions(f"{branch}@head", "base")
                if branch in r.branch_labels and r.revision in applied
            ),
            None,
        )
        if newest is not None:
            shown.append(f"{branch}@{newest}")
    return f"database at {', '.join(shown)}" if shown else "database at base (empty)"


async def _current(state: AppState) -> tuple[set[str], bool]:
    return await runner.current_heads(state.db), await runner.is_migrated(state.db, state.registry)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    target: str = typer.Argument("heads", help="Revision to reach; every branch head by default."),
) -> None:
    """Apply migrations: core's and every installed plugin's branch, up to their heads; then
    bring the default roles up to date, so roles exist before the server first starts."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> set[str]:
        await runner.upgrade(state.db, state.registry, target)
        if await runner.is_migrated(state.db, state.registry):
            async with state.db.transaction() as session:
                await sync_default_roles(session, state.registry)
        return await runner.current_heads(state.db)

    out.print(_position(state, run(state, work)), markup=False)


@app.command("downgrade")
def downgrade(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="Revision to go back to, e.g. ma@base or base."),
) -> None:
    """Revert migrations down to TARGET (<branch>@base removes one plugin's tables)."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> set[str]:
        await runner.downgrade(state.db, state.registry, target)
        return await runner.current_heads(state.db)

    out.print(_position(state, run(state, work)), markup=False)


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Show the revision of each branch the database is at, and whether it is up to date."""
    state = cli_of(ctx).state()
    heads, migrated = run(state, _current)
    out.print(_position(state, heads), markup=False)
    out.print("up to date" if migrated else "not up to date: run `unicrm db upgrade`", markup=False)


@app.command("heads")
def heads(ctx: typer.Context) -> None:
    """Show the head revision of every installed migration branch."""
    state = cli_of(ctx).state()
    script = _script(state)
    found = []
    for migrations in state.registry.migrations.values():
        try:
            branch_heads = script.revision_map.get_revisions(f"{migrations.branch}@head")
        except RevisionError:  # a branch without revisions yet
            continue
        found += [f"{migrations.branch}@{r.revision}" for r in branch_heads if r is not None]
    out.print("\n".join(found) if found else "no revisions", markup=False)


@app.command("revision")
def revision(
    ctx: typer.Context,
    message: str = typer.Option(..., "-m", "--message", help="What the revision does."),
    branch: str = typer.Option(..., "--branch", help="core, or the plugin whose branch it is."),
    autogenerate: bool = typer.Option(
        False, "--autogenerate", help="Diff the models against the database (at every head)."
    ),
) -> None:
    """Write a new revision on one branch (for developers of core and plugins).

    A plugin branch's first revision depends on core's head. With --autogenerate the
    configured database must be at every head, so the revision holds exactly the change.
    """
    state = cli_of(ctx).state()
    branches = sorted(m.branch for m in state.registry.migrations.values())
    if branch not in branches:
        raise PluginError(f"unknown migration branch {branch!r}; branches: {', '.join(branches)}")
    written = run(
        state,
        lambda s: runner.revision(
            s.db, s.registry, branch=branch, message=message, autogenerate=autogenerate
        ),
    )
    if not written:
        out.print(f"no revision written on branch {branch}", markup=False)
        return
    path = _script(state).get_revision(written).path
    out.print(f"wrote {branch}@{written}: {path}", markup=False)
