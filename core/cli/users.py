"""``unicrm users``: staff accounts (sign-in and policies come with access control)."""

from __future__ import annotations

import typer
from rich.table import Table

from unicrm.core.cli.runtime import cli_of, out, require_migrated, run
from unicrm.core.graph.users import services
from unicrm.core.state import AppState

app = typer.Typer(help="Manage users (staff).", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    email: str = typer.Option(..., help="Sign-in e-mail; stored lower-case, unique."),
    name: str = typer.Option(..., help="Display name."),
    password: str | None = typer.Option(
        None, help="Password (at least 8 characters); without one the user cannot sign in."
    ),
    department: list[str] = typer.Option(
        [], "--department", "-d", help="Department slug; repeat for several, first is primary."
    ),
) -> None:
    """Create a user, member of the given departments (default: the default department)."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> str:
        await require_migrated(state)
        async with state.db.transaction() as session:
            user = await services.create_user(
                session,
                email=email,
                display_name=name,
                password=password,
                departments=department,
            )
            return user.email

    out.print(f"created user {run(state, work)}", markup=False)


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """List users with their departments (the primary one first)."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> list[services.UserInfo]:
        await require_migrated(state)
        async with state.db.session() as session:
            return await services.list_users(session)

    table = Table("email", "name", "active", "primary department", "departments")
    for user in run(state, work):
        table.add_row(
            user.email,
            user.display_name,
            "yes" if user.is_active else "no",
            user.primary_department or "-",
            ", ".join(user.departments) or "-",
        )
    out.print(table)


@app.command("disable")
def disable(
    ctx: typer.Context, email: str = typer.Argument(..., help="The user's e-mail.")
) -> None:
    """Disable a user: their records stay, they can no longer sign in."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> str:
        await require_migrated(state)
        async with state.db.transaction() as session:
            return (await services.disable_user(session, email)).email

    out.print(f"disabled user {run(state, work)}", markup=False)
