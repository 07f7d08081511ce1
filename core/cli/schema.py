"""``unicrm schema export|manifest``: a composed schema's SDL; a persisted-query manifest."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from graphql import GraphQLSyntaxError, parse

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


def _document(path: Path) -> str:
    """The text of one .graphql file, refused unless it parses as GraphQL."""
    text = path.read_text(encoding="utf-8")
    try:
        parse(text)
    except GraphQLSyntaxError as exc:
        raise UniCRMError(f"{path} is not a GraphQL document: {exc.message}") from None
    return text


@app.command("manifest")
def manifest(
    folder: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="Folder searched for .graphql files."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", dir_okay=False, help="Write to this file instead of stdout."
    ),
) -> None:
    """Hash every .graphql file under FOLDER into a persisted-query manifest.

    Each file is one document, sent by the frontend exactly as written; the manifest maps the
    SHA-256 hex of each file's text to that text.
    """
    from unicrm.schema.persisted import build_manifest

    files = sorted(folder.rglob("*.graphql"))
    if not files:
        raise UniCRMError(f"no .graphql files under {folder}")
    documents = [_document(path) for path in files]
    text = orjson.dumps(build_manifest(documents), option=orjson.OPT_INDENT_2).decode() + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UniCRMError(f"cannot write {output}: {exc.strerror or exc}") from None
    out.print(f"wrote {output} ({len(documents)} documents)", markup=False)
