"""Running a worker and the scheduler in a process: ``unicrm worker`` or the embedded server."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from unicrm.core.jobs.scheduler import Scheduler
from unicrm.core.jobs.worker import Worker
from unicrm.core.state import AppState


def make_worker(state: AppState, *, name: str | None = None) -> Worker:
    return Worker(
        state.db,
        state.registry.job_types,
        state.settings.jobs,
        name=name,
        app_settings=state.settings,
    )


def make_scheduler(state: AppState) -> Scheduler:
    return Scheduler(state.db, state.registry.schedules, state.settings.zone)


async def run_jobs(
    state: AppState, stop: asyncio.Event, *, schedules: bool = True, worker: Worker | None = None
) -> None:
    """Run a worker (and the scheduler) until ``stop`` is set; returns after a graceful stop.

    This is the one place where a process's background loops start.
    """
    tasks = [(worker or make_worker(state)).run(stop)]
    if schedules:
        tasks.append(make_scheduler(state).run(stop))
    await asyncio.gather(*tasks)


def embedded_enabled(state: AppState) -> bool:
    """``jobs.embedded``, or by default: on for the embedded SQLite database only."""
    configured = state.settings.jobs.embedded
    return state.db.is_sqlite if configured is None else configured


@dataclass
class EmbeddedJobs:
    """The worker and scheduler a server runs in its lifespan."""

    stop: asyncio.Event
    task: asyncio.Task[None]

    @classmethod
    def start(cls, state: AppState) -> EmbeddedJobs:
        stop = asyncio.Event()
        return cls(stop, asyncio.create_task(run_jobs(state, stop), name="unicrm jobs"))

    async def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
