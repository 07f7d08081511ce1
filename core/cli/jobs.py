"""``unicrm jobs``: look at the queue, retry dead letters, cancel jobs."""

from __future__ import annotations

import uuid

import typer
from rich.table import Column, Table

from unicrm.core.cli.runtime import cli_of, out, require_migrated, run
from unicrm.core.errors import DomainError
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id
from unicrm.core.jobs import services
from unicrm.core.jobs.models import Job, JobStatus
from unicrm.core.state import AppState

app = typer.Typer(help="Durable jobs: list, retry, cancel.", no_args_is_help=True)


def parse_job_id(raw: str) -> uuid.UUID:
    """A job id as ``jobs list`` prints it, or the GraphQL id of a Job."""
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        pass
    try:
        type_name, pk = from_global_id(raw.strip())
    except InvalidGlobalId:
        type_name = ""
    if type_name != "Job":
        raise DomainError.single("INVALID_ID", f"{raw!r} is not a job id", "id")
    return pk


def _when(job: Job) -> str:
    return job.run_at.isoformat(timespec="seconds")


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: JobStatus | None = typer.Option(None, help="Only jobs with this status."),
    type: str | None = typer.Option(None, "--type", help="Only jobs of this type."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many, newest first."),
) -> None:
    """List jobs, newest first (``--status dead`` shows the dead letters)."""
    state = cli_of(ctx).state()

    async def work(state: AppState) -> list[Job]:
        await require_migrated(state)
        async with state.db.session() as session:
            return await services.list_jobs(
                session, services.JobFilter(status=status, type=type), limit
            )

    table = Table("type", "status", "attempts", "run at", "last error")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=36))  # ids must be copyable
    for job in run(state, work):
        attempts = f"{job.attempts}/{job.max_attempts}" if job.max_attempts else str(job.attempts)
        error = (job.last_error or "").splitlines()[0][:80] if job.last_error else "-"
        table.add_row(str(job.id), job.type, job.status, attempts, _when(job), error)
    out.print(table)


def _change(ctx: typer.Context, raw_id: str, action: services.Action, verb: str) -> None:
    state = cli_of(ctx).state()
    job_id = parse_job_id(raw_id)

    async def work(state: AppState) -> Job:
        await require_migrated(state)
        async with state.db.transaction() as session:
            return await action(session, job_id)

    job = run(state, work)
    out.print(f"{verb} job {job.id} ({job.type}): now {job.status}", markup=False)


@app.command("retry")
def retry(ctx: typer.Context, job_id: str = typer.Argument(..., help="The job's id.")) -> None:
    """Run a failed, dead or cancelled job again now, with a fresh set of attempts."""
    _change(ctx, job_id, services.retry_job, "retried")


@app.command("cancel")
def cancel(ctx: typer.Context, job_id: str = typer.Argument(..., help="The job's id.")) -> None:
    """Cancel a job that has not succeeded."""
    _change(ctx, job_id, services.cancel_job, "cancelled")
