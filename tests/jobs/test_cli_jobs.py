"""``unicrm jobs list|retry|cancel`` against the test database."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from cli.support import ok, one_line_error
from sqlalchemy import update
from typer.testing import CliRunner, Result

from jobs.conftest import job_row
from unicrm.core.cli.main import app
from unicrm.core.cli.runtime import Cli, out
from unicrm.core.graph.ids import to_global_id
from unicrm.core.jobs import queue
from unicrm.core.jobs.models import Job, JobStatus


@pytest.fixture
def unicrm(unicrm_state, unicrm_plugins, monkeypatch):
    """Run ``unicrm`` on the test database, in a thread (the command runs its own loop)."""
    monkeypatch.setenv("UNICRM_DATABASE_URL", unicrm_state.settings.database_url)
    monkeypatch.setattr(out, "width", 250)  # one table row per line

    async def invoke(*args: str) -> Result:
        runner = CliRunner()
        return await asyncio.to_thread(
            runner.invoke, app, list(args), obj=Cli(plugins=unicrm_plugins)
        )

    return invoke


async def add_job(state, type_name: str, status: JobStatus, error: str | None = None) -> uuid.UUID:
    async with state.db.transaction() as session:
        job = await queue.enqueue(session, type_name, {})
        await session.execute(
            update(Job).where(Job.id == job.id).values(status=status.value, last_error=error)
        )
        return job.id


async def test_jobs_list_shows_jobs_and_filters_dead_letters(unicrm, unicrm_state):
    done = await add_job(unicrm_state, "test.sweep", JobStatus.SUCCEEDED)
    dead = await add_job(unicrm_state, "test.send", JobStatus.DEAD, "Boom: smtp down\nmore")

    everything = ok(await unicrm("jobs", "list"))
    dead_only = ok(await unicrm("jobs", "list", "--status", "dead"))

    assert str(done) in everything and str(dead) in everything
    assert str(dead) in dead_only and str(done) not in dead_only
    assert "Boom: smtp down" in dead_only and "more" not in dead_only


async def test_jobs_retry_and_cancel_by_id_or_graphql_id(unicrm, unicrm_state):
    dead = await add_job(unicrm_state, "test.send", JobStatus.DEAD, "Boom")
    queued = await add_job(unicrm_state, "test.send", JobStatus.QUEUED)

    retried = ok(await unicrm("jobs", "retry", str(dead)))
    cancelled = ok(await unicrm("jobs", "cancel", to_global_id("Job", queued)))

    assert retried.strip() == f"retried job {dead} (test.send): now queued"
    assert cancelled.strip() == f"cancelled job {queued} (test.send): now cancelled"
    assert (await job_row(unicrm_state, dead)).status == JobStatus.QUEUED
    assert (await job_row(unicrm_state, queued)).status == JobStatus.CANCELLED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("retry", "nonsense"), "'nonsense' is not a job id"),
        (("cancel", to_global_id("Product", uuid.UUID(int=1))), "is not a job id"),
        (("retry", str(uuid.UUID(int=1))), "no job with this id"),
    ],
    ids=["malformed", "not-a-job", "missing"],
)
async def test_a_bad_job_id_is_one_error_line(unicrm, unicrm_state, args, message):
    assert message in one_line_error(await unicrm("jobs", *args))


async def test_retrying_a_queued_job_is_refused_and_changes_nothing(unicrm, unicrm_state):
    queued = await add_job(unicrm_state, "test.send", JobStatus.QUEUED)

    assert one_line_error(await unicrm("jobs", "retry", str(queued))) == (
        "a queued job cannot be retried"
    )
    assert (await job_row(unicrm_state, queued)).status == JobStatus.QUEUED


async def test_an_unknown_status_is_a_usage_error(unicrm, unicrm_state):
    result = await unicrm("jobs", "list", "--status", "asleep")

    assert result.exit_code == 2
    assert "asleep" in result.output
