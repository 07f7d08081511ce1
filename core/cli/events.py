"""``unicrm events``: event deliveries to handlers, their dead letters and retries."""

from __future__ import annotations

import uuid

import typer

from unicrm.core.cli.runtime import cli_of, out, require_migrated, run
from unicrm.core.errors import DomainError, UniCRMError
from unicrm.core.events import deliveries
from unicrm.core.events.models import DeliveryStatus, EventDelivery
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id, to_global_id
from unicrm.core.state import AppState

app = typer.Typer(help="Inspect and retry event deliveries.", no_args_is_help=True)

STATUSES = ", ".join(s.value for s in DeliveryStatus)


def _status(value: str | None) -> DeliveryStatus | None:
    if value is None:
        return None
    try:
        return DeliveryStatus(value.strip().lower())
    except ValueError:
        raise UniCRMError(f"unknown status {value!r}; expected one of {STATUSES}") from None


def _delivery_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        pass
    try:
        type_name, pk = from_global_id(value)
    except InvalidGlobalId:
        type_name = ""
    if type_name != "EventDelivery":
        raise UniCRMError(f"{value!r} is not the id of an event delivery")
    return pk


@app.command("list")
def list_deliveries(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help=f"Only this status: {STATUSES}."),
    handler: str | None = typer.Option(None, help="Only this handler (plugin:name)."),
    event_type: str | None = typer.Option(None, "--event-type", help="Only this event type."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many, newest first."),
) -> None:
    """List event deliveries, newest first, one tab-separated line each (``--status dead``
    shows the dead letters)."""
    where = deliveries.DeliveryFilter(_status(status), handler, event_type)
    state = cli_of(ctx).state()

    async def work(state: AppState) -> list[EventDelivery]:
        await require_migrated(state)
        async with state.db.session() as session:
            return await deliveries.latest(session, where, limit)

    columns = ("id", "status", "attempts", "event", "handler", "next attempt", "last error")
    out.print("\t".join(columns), markup=False)
    for row in run(state, work):
        next_at = row.next_attempt_at
        fields = (
            to_global_id("EventDelivery", row.id),
            row.status.value,
            str(row.attempts),
            row.event_type,
            row.handler,
            next_at.isoformat(timespec="seconds") if next_at else "-",
            (row.last_error or "-").splitlines()[0][:200],
        )
        out.print("\t".join(fields), markup=False)


@app.command("retry")
def retry(
    ctx: typer.Context,
    delivery: str = typer.Argument(..., help="The delivery's id, as `events list` shows it."),
) -> None:
    """Make a dead or waiting delivery due now, with a fresh set of attempts."""
    delivery_id = _delivery_id(delivery)
    state = cli_of(ctx).state()

    async def work(state: AppState) -> EventDelivery:
        await require_migrated(state)
        try:
            async with state.db.transaction() as session:
                return await deliveries.retry_delivery(session, delivery_id)
        except DomainError as exc:
            raise UniCRMError(str(exc)) from None

    row = run(state, work)
    out.print(f"delivery {delivery} of {row.event_type} to {row.handler} is due now", markup=False)
