"""``unicrm policies``: permissions, versions, restore, diff, CSV, explain and access review."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from unicrm.core.authz import listing, review, transfer, versions
from unicrm.core.authz.admin import Change, PolicyAdmin
from unicrm.core.authz.enforcer import Explanation
from unicrm.core.cli.policy_runtime import DRY_RUN, change, read, subject_of
from unicrm.core.cli.runtime import out
from unicrm.core.state import AppState

app = typer.Typer(
    help="Policy versions, import/export, explain and access review.", no_args_is_help=True
)


@app.command("permissions")
def permissions(ctx: typer.Context) -> None:
    """List every declared permission with its actions."""

    async def work(state: AppState) -> list:
        return listing.list_permissions(state.registry)

    table = Table("permission", "actions", "plugin", "description")
    for permission, owner in read(ctx, work):
        table.add_row(permission.name, ", ".join(permission.actions), owner, permission.description)
    out.print(table)


@app.command("versions")
def list_versions(ctx: typer.Context, limit: int = typer.Option(20, min=1)) -> None:
    """List policy versions, newest first."""

    async def work(state: AppState) -> list[versions.VersionInfo]:
        async with state.db.session() as session:
            return await versions.list_versions(session, limit)

    table = Table("version", "when", "who", "comment")
    for v in read(ctx, work):
        table.add_row(
            str(v.number), v.created_at.isoformat(timespec="seconds"), v.created_by, v.comment
        )
    out.print(table)


@app.command("diff")
def diff(
    ctx: typer.Context, old: int = typer.Argument(...), new: int = typer.Argument(...)
) -> None:
    """Show the rules and roles added and removed between two versions."""

    async def work(state: AppState) -> versions.VersionDiff:
        async with state.db.session() as session:
            return await versions.diff(session, old, new)

    found = read(ctx, work)
    for name in found.added_roles:
        out.print(f"+ role {name}", markup=False)
    for name in found.removed_roles:
        out.print(f"- role {name}", markup=False)
    for rule in found.added_rules:
        out.print(f"+ {rule.describe()}", markup=False)
    for rule in found.removed_rules:
        out.print(f"- {rule.describe()}", markup=False)


@app.command("restore")
def restore(ctx: typer.Context, number: int = typer.Argument(...), dry_run: bool = DRY_RUN) -> None:
    """Make every role and rule those of an earlier version."""

    async def make(admin: PolicyAdmin) -> Change:
        return versions.restore(admin, number)

    change(ctx, make, dry_run)


@app.command("export")
def export(
    ctx: typer.Context,
    output: Path | None = typer.Option(None, "--output", "-o", help="A file (default: stdout)."),
) -> None:
    """Write every role and rule as CSV."""

    async def work(state: AppState) -> str:
        async with state.db.session() as session:
            return await transfer.export_csv(session)

    text = read(ctx, work)
    if output is None:
        out.file.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("import")
def import_csv(
    ctx: typer.Context,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV written by export."),
    dry_run: bool = DRY_RUN,
) -> None:
    """Replace every role and rule with those of a CSV file."""
    text = path.read_text(encoding="utf-8")

    async def make(admin: PolicyAdmin) -> Change:
        return transfer.import_csv(admin, text)

    change(ctx, make, dry_run)


@app.command("explain")
def explain(
    ctx: typer.Context,
    who: str = typer.Argument(..., help="A user's e-mail, user:<id>, apikey:<id> or a role."),
    department: str = typer.Argument(...),
    obj: str = typer.Argument(..., metavar="OBJECT"),
    action: str = typer.Argument("read"),
) -> None:
    """Say whether a user may do something in a department, and which rule decides."""

    async def work(state: AppState) -> Explanation:
        subject = await subject_of(state, who)
        async with state.db.session() as session:
            return await review.explain(state, session, subject, department, obj, action)

    found = read(ctx, work)
    out.print(("allowed: " if found.allowed else "denied: ") + found.reason, markup=False)


@app.command("review")
def access_review(
    ctx: typer.Context,
    department: str = typer.Argument(...),
    obj: str = typer.Argument(..., metavar="OBJECT", help="e.g. Customer.phone or sfa.deal"),
    action: str = typer.Option("read"),
    csv: bool = typer.Option(False, "--csv", help="Write the report as CSV."),
) -> None:
    """Who may do an action on an object in a department, and through which role."""

    async def work(state: AppState) -> list[review.ReviewRow]:
        async with state.db.session() as session:
            return await review.access_review(state, session, department, obj, action)

    rows = read(ctx, work)
    if csv:
        out.file.write(review.review_csv(rows))
        return
    table = Table("user", "decision", "via", "rule", "scope")
    for row in rows:
        rule = row.explanation.rule.describe() if row.explanation.rule else "-"
        via = " > ".join(row.explanation.chain[1:])
        table.add_row(row.user or row.subject, row.decision, via, rule, row.scope or "-")
    out.print(table)
