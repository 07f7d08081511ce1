"""``unicrm worker`` as a real process: graceful SIGTERM, and a crash mid-job (SIGKILL)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugins.support import add_customers

from jobs import gated_plugin
from jobs.conftest import effects_of, greetings_of, job_row
from unicrm.core.jobs import queue
from unicrm.core.jobs.models import JobStatus

TESTS = Path(__file__).resolve().parents[1]
LAUNCHER = Path(__file__).with_name("worker_process.py")
pytestmark = pytest.mark.slow
LEASE = "6"
"""Seconds; long enough for lease renewals on a loaded test machine, short for the test."""


class WorkerProcess:
    def __init__(self, url: str, folder: Path, name: str, **settings: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UNICRM_")}
        env.update(
            UNICRM_DATABASE_URL=url,
            UNICRM_JOBS__POLL_SECONDS="0.1",
            PYTHONPATH=str(TESTS),
            PYTHONUNBUFFERED="1",
            **{f"UNICRM_JOBS__{k.upper()}": v for k, v in settings.items()},
        )
        self.log = folder / f"{name}.log"
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--no-schedules"],
            cwd=folder,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(10)


STARTUP_SECONDS = 180
"""A loaded test machine may take long to start a Python process; speed is not asserted."""


async def wait_until(condition, what: str, worker: WorkerProcess) -> None:
    for _ in range(int(STARTUP_SECONDS / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; worker output:\n{worker.output()}")


async def enqueue_gated(state, customer, gate: Path):
    async with state.db.transaction() as session:
        job = await queue.enqueue(
            session, gated_plugin.JOB, {"customer_id": str(customer), "gate": str(gate)}
        )
    return job.id


async def test_a_killed_worker_s_job_is_finished_once_by_another_after_its_lease(
    postgres_state, tmp_path, workers
):
    state = postgres_state
    url = state.settings.database_url
    [customer] = await add_customers(state, "Somchai")
    gate = tmp_path / "gate"
    gate.mkdir()
    job_id = await enqueue_gated(state, customer, gate)

    first = WorkerProcess(url, tmp_path, "first", lease_seconds=LEASE)
    workers.append(first)

    async def started(attempt: int):
        async def check() -> bool:
            return (gate / f"started-{attempt}").exists()

        return check

    await wait_until(await started(1), "attempt 1 to start", first)
    lease = (await job_row(state, job_id)).lease_until
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL  # mid-job, its effect uncommitted

    (gate / "release").touch()
    second = WorkerProcess(url, tmp_path, "second", lease_seconds=LEASE)
    workers.append(second)

    async def succeeded() -> bool:
        return (await job_row(state, job_id)).status == JobStatus.SUCCEEDED

    await wait_until(succeeded, "the job to succeed", second)
    job = await job_row(state, job_id)
    assert job.attempts >= 2  # a starved machine may also let the second worker's lease lapse
    assert job.started_at >= lease
    assert await greetings_of(state, customer) == 1
    assert await effects_of(state, job_id) == 1
    assert second.stop() == 0
    assert "stopped" in second.output()


async def test_sigterm_stops_a_worker_gracefully_and_gives_back_its_running_job(
    unicrm_state, tmp_path, workers
):
    url = unicrm_state.settings.database_url
    [customer] = await add_customers(unicrm_state, "Somchai")
    gate = tmp_path / "gate"
    gate.mkdir()
    job_id = await enqueue_gated(unicrm_state, customer, gate)
    worker = WorkerProcess(url, tmp_path, "worker", shutdown_grace_seconds="0.5")
    workers.append(worker)

    async def running() -> bool:
        return (gate / "started-1").exists()

    await wait_until(running, "the job to start", worker)
    code = worker.stop(signal.SIGTERM)

    assert code == 0, worker.output()
    assert "started" in worker.output() and "stopped" in worker.output()
    job = await job_row(unicrm_state, job_id)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.QUEUED, 0, None)
    assert await greetings_of(unicrm_state, customer) == 0


async def test_a_worker_on_an_unmigrated_database_stops_with_one_line(tmp_path, workers):
    worker = WorkerProcess(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", tmp_path, "w")
    workers.append(worker)

    assert worker.process.wait(STARTUP_SECONDS) == 1
    assert worker.output().strip() == "error: database not migrated: run `unicrm db upgrade`"
