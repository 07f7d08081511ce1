"""``unicrm config show``: the effective settings, secrets hidden."""

from __future__ import annotations

import json

import typer

from unicrm.core.cli.runtime import cli_of

app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the effective settings as JSON (file + UNICRM_* variables); secrets are hidden."""
    data = cli_of(ctx).settings.public_dict()
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
