"""``unicrm worker``: a job worker process (production runs any number against PostgreSQL)."""

from __future__ import annotations

import asyncio
import signal

import typer

from unicrm.core.cli.runtime import cli_of, out, require_migrated, run
from unicrm.core.jobs.runtime import make_worker, run_jobs
from unicrm.core.state import AppState
from unicrm.core.telemetry import bind_gauges, setup_telemetry, shutdown_telemetry, unbind_gauges


def worker(
    ctx: typer.Context,
    concurrency: int | None = typer.Option(
        None, min=1, max=256, help="Jobs run at once (default: jobs.concurrency)."
    ),
    schedules: bool = typer.Option(
        True, "--schedules/--no-schedules", help="Also enqueue the periodic jobs when due."
    ),
) -> None:
    """Claim and run durable jobs until SIGTERM or Ctrl-C, then stop gracefully.

    Running jobs get jobs.shutdown_grace_seconds to finish; the rest are given back to the
    queue for another worker.
    """
    state = cli_of(ctx).state()
    if concurrency is not None:
        state.settings.jobs.concurrency = concurrency

    async def work(state: AppState) -> None:
        await require_migrated(state)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        runner = make_worker(state)
        setup_telemetry()
        bind_gauges(state.db)
        out.print(
            f"worker {runner.name} started: {len(runner.job_types)} job types, "
            f"concurrency {state.settings.jobs.concurrency}",
            markup=False,
        )
        try:
            await run_jobs(state, stop, schedules=schedules, worker=runner)
        finally:
            unbind_gauges()
            shutdown_telemetry()
        out.print(f"worker {runner.name} stopped", markup=False)

    run(state, work)
