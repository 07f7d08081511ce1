"""The server runs jobs itself in embedded mode (SQLite by default), and core's cleanup job."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from plugins.example_plugin import Greeting
from plugins.support import add_customers
from sqlalchemy import select, update

from jobs.conftest import job_row
from unicrm.core.app import create_app
from unicrm.core.db.types import utcnow
from unicrm.core.jobs import queue
from unicrm.core.jobs.models import Job, JobStatus
from unicrm.core.jobs.runtime import embedded_enabled, make_worker


async def wait_for_status(state, job_id, status: JobStatus, seconds: float = 10) -> Job:
    for _ in range(int(seconds / 0.05)):
        job = await job_row(state, job_id)
        if job.status == status:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} is {job.status}, not {status}")


async def test_the_server_runs_jobs_in_embedded_mode(unicrm_state, monkeypatch):
    monkeypatch.setattr(unicrm_state.settings.jobs, "embedded", True)
    monkeypatch.setattr(unicrm_state.settings.jobs, "poll_seconds", 0.05)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    app = create_app(state=unicrm_state)

    async with app.router.lifespan_context(app):
        async with unicrm_state.db.transaction() as session:
            job = await queue.enqueue(session, "example.sweep_greetings")
        await wait_for_status(unicrm_state, job.id, JobStatus.SUCCEEDED)
        async with unicrm_state.db.session() as session:
            scheduled = (await session.scalars(select(Job.unique_key))).all()

    assert {k.split(":")[1] for k in scheduled if k} == {
        "core.jobs_cleanup",
        "core.asset_warranty_reminders",
        "core.contract_daily_run",
        "example.hourly_sweep",
    }
    async with unicrm_state.db.session() as session:
        greeting = await session.scalar(select(Greeting).where(Greeting.customer_id == somchai))
    assert greeting is not None


async def test_embedded_jobs_default_to_sqlite_only(unicrm_state, monkeypatch):
    assert embedded_enabled(unicrm_state) is unicrm_state.db.is_sqlite
    monkeypatch.setattr(unicrm_state.settings.jobs, "embedded", False)
    assert embedded_enabled(unicrm_state) is False


async def test_a_server_without_embedded_jobs_leaves_them_queued(unicrm_state, monkeypatch):
    monkeypatch.setattr(unicrm_state.settings.jobs, "embedded", False)
    app = create_app(state=unicrm_state)

    async with app.router.lifespan_context(app):
        async with unicrm_state.db.transaction() as session:
            job = await queue.enqueue(session, "example.sweep_greetings")
        await asyncio.sleep(0.3)

    assert (await job_row(unicrm_state, job.id)).status == JobStatus.QUEUED


async def test_the_cleanup_job_deletes_old_finished_jobs_and_keeps_dead_ones(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        old_done = await queue.enqueue(session, "example.sweep_greetings")
        old_dead = await queue.enqueue(session, "example.sweep_greetings")
        new_done = await queue.enqueue(session, "example.sweep_greetings")
        cleanup = await queue.enqueue(session, "core.jobs_cleanup", {"keep_days": 14})
        long_ago = utcnow() - timedelta(days=15)
        for job, status, finished in (
            (old_done, JobStatus.SUCCEEDED, long_ago),
            (old_dead, JobStatus.DEAD, long_ago),
            (new_done, JobStatus.SUCCEEDED, utcnow()),
        ):
            await session.execute(
                update(Job).where(Job.id == job.id).values(status=status, finished_at=finished)
            )

    await make_worker(unicrm_state).run_due()

    async with unicrm_state.db.session() as session:
        left = set((await session.scalars(select(Job.id))).all())
    assert left == {old_dead.id, new_done.id, cleanup.id}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("concurrency", "0", "jobs.concurrency"),
        ("lease_seconds", "0", "jobs.lease_seconds"),
        ("sometimes", "1", "unknown setting"),
    ],
    ids=["no-concurrency", "no-lease", "unknown"],
)
def test_bad_job_settings_name_the_setting(monkeypatch, name, value, message):
    from unicrm.core.config import load_settings
    from unicrm.core.errors import ConfigError

    monkeypatch.setenv(f"UNICRM_JOBS__{name.upper()}", value)
    with pytest.raises(ConfigError, match=message):
        load_settings()
