"""The ``unicrm`` command: one typer application, its sub-commands and central error handling."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from unicrm.core.cli import (
    apikeys,
    audit,
    config,
    db,
    demo,
    departments,
    events,
    grants,
    jobs,
    plugins,
    policies,
    roles,
    schema,
    serve,
    users,
    worker,
)
from unicrm.core.cli.runtime import Cli, describe, fail


class RootGroup(TyperGroup):
    """Turns every error a user can cause, in any sub-command, into one line and exit code 1.

    Bugs keep their traceback: only the errors ``describe`` recognises are shortened.
    """

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise fail("interrupted", code=130) from None
        except Exception as exc:
            cli = ctx.obj if isinstance(ctx.obj, Cli) else None
            message = describe(exc, cli.loaded if cli else None)
            if message is None:
                raise
            raise fail(message) from None


app = typer.Typer(
    cls=RootGroup,
    name="unicrm",
    help="UniCRM: marketing automation, sales, service and loyalty on one customer graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(ctx: typer.Context) -> None:
    """Settings come from ./unicrm.toml (or UNICRM_CONFIG) and UNICRM_* variables."""
    ctx.ensure_object(Cli)


app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.add_typer(db.app, name="db")
app.add_typer(plugins.app, name="plugins")
app.add_typer(schema.app, name="schema")
app.add_typer(users.app, name="users")
app.add_typer(departments.app, name="departments")
app.add_typer(config.app, name="config")
app.add_typer(audit.app, name="audit")
app.add_typer(apikeys.app, name="apikeys")
app.add_typer(roles.app, name="roles")
app.add_typer(grants.app, name="grants")
app.add_typer(policies.app, name="policies")
app.add_typer(events.app, name="events")
app.add_typer(jobs.app, name="jobs")
app.command("worker")(worker.worker)


def main() -> None:
    """The console script ``unicrm``."""
    app(prog_name="unicrm")
