"""``unicrm audit list``: read the append-only audit log, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import typer
from rich.table import Table

from unicrm.core.audit import services
from unicrm.core.audit.models import AuditEntry
from unicrm.core.cli.runtime import cli_of, out, require_migrated, run
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.merge.journal import jsonable
from unicrm.core.graph.pagination import Page, PageRequest
from unicrm.core.state import AppState

app = typer.Typer(help="Read the audit log.", no_args_is_help=True)

COLUMNS = (
    "id",
    "at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "department",
    "action",
    "operation",
    "field",
    "targets",
    "client_address",
    "trace_id",
    "outcome",
    "details",
)


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from None


def _as_dict(entry: AuditEntry) -> dict[str, Any]:
    data = jsonable({name: getattr(entry, name) for name in COLUMNS})
    data["id"] = to_global_id("AuditEntry", entry.id)
    return data


@app.command("list")
def list_entries(
    ctx: typer.Context,
    actor_id: str | None = typer.Option(None, help="Only entries by this actor (global id)."),
    action: str | None = typer.Option(None, help="Only this action, e.g. mutation, merge."),
    department: str | None = typer.Option(None, help="Only entries in this department (slug)."),
    target_id: str | None = typer.Option(None, help="Only entries naming this global id."),
    since: str | None = typer.Option(
        None, "--from", help="Entries at or after this ISO 8601 time (with offset)."
    ),
    until: str | None = typer.Option(
        None, "--to", help="Entries before this ISO 8601 time (with offset)."
    ),
    first: int = typer.Option(20, help="How many entries (at most the page size limit)."),
    after: str | None = typer.Option(None, help="The cursor printed by the previous page."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List audit entries, newest first, with the cursor of the next page."""
    where = services.AuditFilter(
        actor_id=actor_id,
        action=action,
        department=department,
        target_id=target_id,
        since=_moment(since, "--from"),
        until=_moment(until, "--to"),
    )
    state = cli_of(ctx).state()

    async def work(state: AppState) -> Page[AuditEntry]:
        await require_migrated(state)
        async with state.db.session() as session:
            return await services.list_entries(
                session,
                where,
                PageRequest(first=first, after=after),
                max_page_size=state.settings.limits.max_page_size,
            )

    page = run(state, work)
    following = page.cursors[-1] if page.has_next_page else None
    if as_json:
        body = {"entries": [_as_dict(e) for e in page.rows], "next": following}
        out.print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode(), markup=False)
        return
    table = Table("at", "actor", "department", "action", "field", "targets", "outcome", "trace")
    for column in table.columns:  # a narrow terminal wraps ids, never cuts them short
        column.overflow = "fold"
    for e in page.rows:
        actor = f"{e.actor_name} ({e.actor_kind})"
        table.add_row(
            e.at.isoformat(timespec="seconds"),
            actor,
            e.department or "",
            e.action,
            e.field or "",
            "\n".join(e.targets),
            e.outcome,
            e.trace_id or "",
        )
    out.print(table)
    if following is not None:
        out.print(f"more: --after {following}", markup=False)
