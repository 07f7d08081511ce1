"""``unicrm grants``: allow and deny rules of roles, per department."""

from __future__ import annotations

from datetime import datetime

import typer

from unicrm.core.authz import admin as policies
from unicrm.core.authz import listing
from unicrm.core.authz.admin import Change, GrantSpec, PolicyAdmin
from unicrm.core.cli.policy_runtime import DEPARTMENT, DRY_RUN, change, read
from unicrm.core.cli.runtime import out
from unicrm.core.state import AppState

app = typer.Typer(help="Grant and revoke what roles may do.", no_args_is_help=True)
OBJECT_HELP = (
    "A permission (sfa.deal), coordinate (Customer.email), PII class (pii:contact) or pattern."
)


def _moment(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise typer.BadParameter(
            f"{raw!r} is not an ISO time such as 2026-12-31T00:00:00+07:00"
        ) from None


@app.command("add")
def add(
    ctx: typer.Context,
    role: str = typer.Argument(...),
    obj: str = typer.Argument(..., metavar="OBJECT", help=OBJECT_HELP),
    action: str = typer.Argument(..., help="read, write, delete, read_masked, ... or *."),
    department: str = DEPARTMENT,
    deny: bool = typer.Option(False, "--deny", help="A deny rule (wins over every allow)."),
    scope: str = typer.Option("all", help="Rows: own, team, department or all."),
    valid_from: str | None = typer.Option(None, "--from", help="Active from (ISO time)."),
    valid_until: str | None = typer.Option(None, "--until", help="Active until (ISO time)."),
    dry_run: bool = DRY_RUN,
) -> None:
    """Add an allow (or --deny) rule to a role."""
    spec = GrantSpec(
        role, department, obj, action, "deny" if deny else "allow", scope,
        _moment(valid_from), _moment(valid_until),
    )  # fmt: skip

    async def make(admin: PolicyAdmin) -> Change:
        return policies.grant(admin, spec)

    change(ctx, make, dry_run)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    role: str = typer.Argument(...),
    obj: str = typer.Argument(..., metavar="OBJECT", help=OBJECT_HELP),
    action: str = typer.Argument(...),
    department: str = DEPARTMENT,
    deny: bool = typer.Option(False, "--deny", help="Revoke a deny rule."),
    dry_run: bool = DRY_RUN,
) -> None:
    """Remove a rule added to a role (default rules stay: deny them instead)."""
    spec = GrantSpec(role, department, obj, action, "deny" if deny else "allow")

    async def make(admin: PolicyAdmin) -> Change:
        return policies.revoke(admin, spec)

    change(ctx, make, dry_run)


@app.command("list")
def list_grants(
    ctx: typer.Context, role: str | None = typer.Option(None, help="Only this role's rules.")
) -> None:
    """List the allow and deny rules of every role (or one), one casbin line each."""

    async def work(state: AppState) -> list[listing.RoleView]:
        async with state.db.session() as session:
            return await listing.list_roles(session)

    for view in read(ctx, work):
        if role is not None and view.role.name != role:
            continue
        for rule in view.rules:
            line = rule.describe()
            if rule.valid_from:
                line += f" from {rule.valid_from.isoformat()}"
            if rule.valid_until:
                line += f" until {rule.valid_until.isoformat()}"
            out.print(line + (" (default)" if rule.is_default else ""), markup=False)
