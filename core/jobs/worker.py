"""The worker: claims due jobs, runs each handler in its own transaction, records the outcome.

Any number of workers may run against one PostgreSQL database (``unicrm worker``); the
embedded server runs one in its own process. A running job's lease is renewed every third
of the lease; a worker that dies stops renewing, and once the lease expires another worker
claims the job again. Stopping is graceful: no new claims, running jobs get
``shutdown_grace_seconds`` to finish, and whatever is still running is given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import replace

from unicrm.core.config import JobSettings, Settings
from unicrm.core.db.database import Database
from unicrm.core.db.ids import uuid7
from unicrm.core.jobs import queue
from unicrm.core.jobs.contracts import JobRun, JobType
from unicrm.core.telemetry.tracing import consumer_span

log = logging.getLogger("unicrm.jobs")


class LeaseLost(Exception):
    """The job was taken over (lease expired) or cancelled while this worker ran it."""


def worker_name() -> str:
    """``host:pid:random``: unique per worker, readable in ``locked_by``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid7().hex[-6:]}"


def _attributes(run: JobRun) -> dict[str, str | int]:
    return {
        "unicrm.job.type": run.type,
        "unicrm.job.id": str(run.id),
        "unicrm.job.attempt": run.attempt,
    }


class Worker:
    def __init__(
        self,
        db: Database,
        job_types: Mapping[str, JobType],
        settings: JobSettings,
        *,
        name: str | None = None,
        app_settings: Settings | None = None,
    ) -> None:
        self.db = db
        self.job_types = dict(job_types)
        self.settings = settings
        self.app_settings = app_settings
        self.name = name or worker_name()
        self._running: dict[asyncio.Task[None], JobRun] = {}
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due jobs now instead of at the next poll."""
        self._wake.set()

    async def run_due(self) -> int:
        """Claim what is due (up to the free capacity) and run it to the end; for tests and
        one-shot use. Returns how many jobs ran."""
        runs = await queue.claim(
            self.db,
            self.name,
            self.job_types,
            self.settings.concurrency,
            self.settings.lease_seconds,
        )
        await asyncio.gather(*(self.execute(run) for run in runs))
        return len(runs)

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until ``stop`` is set, then shut down gracefully."""
        log.info("job worker %s started (%d job types)", self.name, len(self.job_types))
        try:
            while not stop.is_set():
                free = self.settings.concurrency - len(self._running)
                try:
                    runs = await queue.claim(
                        self.db, self.name, self.job_types, free, self.settings.lease_seconds
                    )
                except Exception:  # a database hiccup must not kill the worker
                    log.exception("claiming jobs failed")
                    runs = []
                for run in runs:
                    task = asyncio.create_task(self.execute(run), name=f"job {run.id}")
                    self._running[task] = run
                    task.add_done_callback(self._finished)
                if len(runs) == free and free > 0:
                    continue  # there may be more due right away
                await self._idle(stop)
        finally:
            await self._drain()
            log.info("job worker %s stopped", self.name)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._wake.set()

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wake.clear()
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self.settings.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _drain(self) -> None:
        """Let running jobs finish within the grace period; give the rest back."""
        if not self._running:
            return
        running = dict(self._running)
        _, pending = await asyncio.wait(running, timeout=self.settings.shutdown_grace_seconds)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await queue.release(self.db, running[task], self.name)
            except Exception:
                log.exception(
                    "job %s: giving it back failed; its lease will expire", running[task].id
                )

    async def execute(self, run: JobRun) -> None:
        """One attempt: handler and success mark in one transaction; failure recorded apart."""
        job_type = self.job_types[run.type]
        if self.app_settings is not None:
            run = replace(run, settings=self.app_settings)
        heartbeat = asyncio.create_task(self._heartbeat(run))
        try:
            with consumer_span(f"job {run.type}", run.traceparent, _attributes(run)):
                async with self.db.transaction() as session:
                    async with asyncio.timeout(job_type.timeout):
                        await job_type.handler(run, session)
                    if not await queue.mark_succeeded(session, run, self.name):
                        raise LeaseLost()
        except LeaseLost:
            log.warning("job %s (%s): lost its lease; its work was rolled back", run.id, run.type)
        except TimeoutError:
            await self._failed(run, job_type, f"timed out after {job_type.timeout:g} s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("job %s (%s) attempt %d failed", run.id, run.type, run.attempt)
            await self._failed(run, job_type, f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _failed(self, run: JobRun, job_type: JobType, error: str) -> None:
        try:
            status = await queue.mark_failed(self.db, run, self.name, job_type, error)
        except Exception:
            log.exception("job %s: recording the failure failed; its lease will expire", run.id)
            return
        if status is not None:
            log.warning("job %s (%s) is %s: %s", run.id, run.type, status.value, error)

    async def _heartbeat(self, run: JobRun) -> None:
        interval = self.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                if not await queue.renew_lease(
                    self.db, run, self.name, self.settings.lease_seconds
                ):
                    return
            except Exception as exc:  # SQLite: the handler may hold the write lock; try again
                log.debug("job %s: renewing the lease failed: %s", run.id, exc)
