"""``unicrm roles``: roles, their inheritance, and who holds them in which department."""

from __future__ import annotations

import typer
from rich.table import Table

from unicrm.core.authz import admin as policies
from unicrm.core.authz import listing
from unicrm.core.authz.admin import Change, PolicyAdmin
from unicrm.core.cli.policy_runtime import DEPARTMENT, DRY_RUN, change, read, subject_of
from unicrm.core.cli.runtime import out, split_names
from unicrm.core.state import AppState

app = typer.Typer(help="Manage roles and role assignments.", no_args_is_help=True)


@app.command("list")
def list_roles(ctx: typer.Context) -> None:
    """List roles with what they inherit and how many rules they have."""

    async def work(state: AppState) -> list[listing.RoleView]:
        async with state.db.session() as session:
            return await listing.list_roles(session)

    table = Table("role", "default", "department", "inherits", "rules", "description")
    for view in read(ctx, work):
        role = view.role
        table.add_row(
            role.name,
            "yes" if role.is_default else "",
            role.department or "*",
            ", ".join(view.inherits) or "-",
            str(len(view.rules)),
            role.description,
        )
    out.print(table)


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Lowercase letters, digits and underscores."),
    description: str = typer.Option("", help="What the role is for."),
    inherits: str = typer.Option("", help="Comma-separated roles it inherits."),
    department: str | None = typer.Option(None, help="The department owning it (default: none)."),
    dry_run: bool = DRY_RUN,
) -> None:
    """Create a custom role."""

    async def make(admin: PolicyAdmin) -> Change:
        return policies.create_role(
            admin,
            name=name,
            description=description,
            inherits=split_names(inherits),
            department=department,
        )

    change(ctx, make, dry_run)


@app.command("update")
def update(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    description: str | None = typer.Option(None, help="A new description."),
    inherits: str | None = typer.Option(None, help="The inherited roles from now on."),
    dry_run: bool = DRY_RUN,
) -> None:
    """Change a custom role's description or inherited roles."""

    async def make(admin: PolicyAdmin) -> Change:
        parents = None if inherits is None else split_names(inherits)
        return policies.update_role(admin, name=name, description=description, inherits=parents)

    change(ctx, make, dry_run)


@app.command("delete")
def delete(ctx: typer.Context, name: str = typer.Argument(...), dry_run: bool = DRY_RUN) -> None:
    """Delete a custom role with its rules and assignments."""

    async def make(admin: PolicyAdmin) -> Change:
        return policies.delete_role(admin, name=name)

    change(ctx, make, dry_run)


@app.command("assign")
def assign(
    ctx: typer.Context,
    who: str = typer.Argument(..., help="A user's e-mail, or user:<id> / apikey:<id>."),
    role: str = typer.Argument(...),
    department: str = DEPARTMENT,
    dry_run: bool = DRY_RUN,
) -> None:
    """Give a user or API key a role in a department."""

    async def make(admin: PolicyAdmin) -> Change:
        subject = await subject_of(admin.state, who)
        return policies.assign(admin, subject=subject, role=role, department=department)

    change(ctx, make, dry_run)


@app.command("unassign")
def unassign(
    ctx: typer.Context,
    who: str = typer.Argument(...),
    role: str = typer.Argument(...),
    department: str = DEPARTMENT,
    dry_run: bool = DRY_RUN,
) -> None:
    """Take a role away from a user or API key in a department."""

    async def make(admin: PolicyAdmin) -> Change:
        subject = await subject_of(admin.state, who)
        return policies.unassign(admin, subject=subject, role=role, department=department)

    change(ctx, make, dry_run)


@app.command("assignments")
def assignments(
    ctx: typer.Context,
    department: str | None = typer.Option(None, "--department", "-d", help="Only this one."),
) -> None:
    """List who holds which role in which department."""

    async def work(state: AppState) -> list[listing.Assignment]:
        async with state.db.session() as session:
            return await listing.list_assignments(session, department)

    table = Table("department", "user", "role", "until")
    for a in read(ctx, work):
        until = a.rule.valid_until.isoformat() if a.rule.valid_until else "-"
        table.add_row(a.department, a.user or a.subject, a.role, until)
    out.print(table)
