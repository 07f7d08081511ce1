"""``unicrm apikeys``: API keys of integrations (create, list, revoke)."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer

from unicrm.core.authz import apikeys
from unicrm.core.cli.runtime import cli_of, out, require_migrated, run
from unicrm.core.db.types import utcnow
from unicrm.core.state import AppState

app = typer.Typer(help="Manage API keys of integrations.", no_args_is_help=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., help="What the key is for, e.g. 'POS sync'."),
    department: str = typer.Option(..., "--department", "-d", help="Department slug."),
    role: str = typer.Option(..., help="The role the key acts as in that department."),
    expires_in_days: int | None = typer.Option(
        None, min=1, help="Days until the key stops working (default: never)."
    ),
) -> None:
    """Create a key and print it once: store it now, it cannot be shown again."""
    state = cli_of(ctx).state()
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None

    async def work(state: AppState) -> apikeys.CreatedApiKey:
        await require_migrated(state)
        async with state.db.transaction() as session:
            return await apikeys.create_api_key(
                session,
                name=name,
                department=department,
                role=role,
                created_by=None,
                expires_at=expires,
            )

    created = run(state, work)
    out.print(
        f"created API key {created.info.prefix} ({created.info.name}, "
        f"{created.info.department}, {created.info.role})",
        markup=False,
    )
    out.print(created.key, markup=False)


def _state(key: apikeys.ApiKeyInfo) -> str:
    if key.revoked_at is not None:
        return f"revoked {_when(key.revoked_at)}"
    if key.expires_at is not None:
        return f"{'expired' if key.expires_at <= utcnow() else 'expires'} {_when(key.expires_at)}"
    return "active"


@app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """List keys, newest first: prefix, name, department and role, state, last use."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> list[apikeys.ApiKeyInfo]:
        await require_migrated(state)
        async with state.db.session() as session:
            return await apikeys.list_api_keys(session)

    keys = run(state, work)
    if not keys:
        out.print("no API keys", markup=False)
    for key in keys:
        out.print(
            f"{key.prefix}  {key.name}  ({key.department}, {key.role})  {_state(key)}  "
            f"last used {_when(key.last_used_at)}",
            markup=False,
        )


@app.command("revoke")
def revoke(
    ctx: typer.Context, prefix: str = typer.Argument(..., help="The key's prefix (see list).")
) -> None:
    """Revoke a key at once."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> apikeys.ApiKeyInfo:
        await require_migrated(state)
        async with state.db.transaction() as session:
            key_id = await apikeys.key_id_by_prefix(session, prefix)
            return await apikeys.revoke_api_key(session, key_id)

    out.print(f"revoked API key {run(state, work).prefix}", markup=False)
