"""``unicrm schema export``: the SDL of a department's (or a plugin set's) composed schema."""

from __future__ import annotations

from pathlib import Path

import typer

from unicrm.core.cli.runtime import cli_of, fail, out, require_migrated, run, split_names
from unicrm.core.errors import UniCRMError
from unicrm.core.state import AppState

app = typer.Typer(help="Inspect the composed GraphQL schema.", no_args_is_help=True)


async def _department_plugins(state: AppState, slug: str) -> frozenset[str]:
    await require_migrated(state)
    department = await state.departments.get(slug)
    if department is None:
        raise UniCRMError(f"no department {slug!r}")
    return department.plugins


@app.command("export")
def export(
    ctx: typer.Context,
    department: str | None = typer.Option(
        None, "--department", "-d", help="The schema this department sees (reads the database)."
    ),
    plugins: str | None = typer.Option(
        None, "--plugins", "-p", help="Comma-separated plugin set, e.g. ma,sfa ('core': none)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="Write to this file instead of stdout."
    ),
) -> None:
    """Print the SDL of a composed schema; by default with every installed plugin."""
    from unicrm.schema.composer import build_schema

    if department is not None and plugins is not None:
        raise fail("give --department or --plugins, not both", code=2)
    state = cli_of(ctx).state(schema_factory=build_schema)
    if department is not None:
        chosen = run(state, lambda s: _department_plugins(s, department))
    elif plugins is not None:
        chosen = state.registry.check_enabled(split_names(plugins))
    else:
        chosen = frozenset(state.registry.installed)
    sdl = state.schema_for(chosen).as_str() + "\n"
    if output is None:
        typer.echo(sdl, nl=False)
        return
    try:
        output.write_text(sdl, encoding="utf-8")
    except OSError as exc:
        raise UniCRMError(f"cannot write {output}: {exc.strerror or exc}") from None
    out.print(f"wrote {output} ({', '.join(sorted(chosen)) or 'core only'})", markup=False)
