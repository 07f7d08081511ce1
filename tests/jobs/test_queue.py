"""Enqueue, claim, succeed, retry with backoff, dead letters, leases: on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta

import pytest
from plugins.support import add_customers
from sqlalchemy import func, select, update

from jobs.conftest import effects_of, greet_once, greetings_of, job_row, worker_for
from unicrm.core.db.types import utcnow
from unicrm.core.jobs import queue
from unicrm.core.jobs.contracts import JobRun, JobType
from unicrm.core.jobs.models import Job, JobStatus


class Boom(Exception):
    pass


async def enqueue_one(state, type_name, payload=None, **options) -> uuid.UUID:
    async with state.db.transaction() as session:
        job = await queue.enqueue(session, type_name, payload, **options)
        return job.id


async def test_an_enqueued_job_is_claimed_run_and_marked_succeeded(unicrm_state):
    [customer] = await add_customers(unicrm_state, "Somchai")
    job_id = await enqueue_one(unicrm_state, "test.greet", {"customer_id": str(customer)})
    queued = await job_row(unicrm_state, job_id)
    assert (queued.status, queued.attempts, queued.max_attempts) == ("queued", 0, None)

    ran = await worker_for(unicrm_state, JobType("test.greet", greet_once)).run_due()

    job = await job_row(unicrm_state, job_id)
    assert ran == 1
    assert job.status == JobStatus.SUCCEEDED
    assert (job.attempts, job.max_attempts) == (1, 5)
    assert job.locked_by is None and job.lease_until is None
    assert job.started_at <= job.finished_at
    assert await greetings_of(unicrm_state, customer) == 1
    assert await effects_of(unicrm_state, job_id) == 1


async def test_a_rolled_back_transaction_enqueues_nothing(unicrm_state):
    with pytest.raises(Boom):
        async with unicrm_state.db.transaction() as session:
            await queue.enqueue(session, "test.greet", {"customer_id": "x"})
            raise Boom()

    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0


async def test_a_job_is_not_run_before_its_time(unicrm_state):
    later = utcnow() + timedelta(hours=1)
    await enqueue_one(unicrm_state, "test.greet", {}, run_at=later)

    assert await worker_for(unicrm_state, JobType("test.greet", greet_once)).run_due() == 0


async def test_enqueuing_an_existing_unique_key_returns_the_existing_job(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        first = await queue.enqueue(session, "test.greet", {"n": 1}, unique_key="slot:1")
    async with unicrm_state.db.transaction() as session:
        again = await queue.enqueue(session, "test.greet", {"n": 2}, unique_key="slot:1")
        other = await queue.enqueue(session, "test.greet", {"n": 3}, unique_key="slot:2")

    assert again.id == first.id
    assert again.payload == {"n": 1}
    assert other.id != first.id
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 2


async def test_concurrent_enqueues_of_one_key_make_one_job(unicrm_state):
    async def add() -> uuid.UUID:
        return await enqueue_one(unicrm_state, "test.greet", {}, unique_key="schedule:x:1")

    ids = await asyncio.gather(*(add() for _ in range(5)))

    assert len(set(ids)) == 1
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 1


@pytest.mark.parametrize(
    ("type_name", "payload", "options", "message"),
    [
        ("Bad Name", {}, {}, "must look like 'plugin.job_name'"),
        ("test.greet", {"when": object()}, {}, "must be JSON"),
        ("test.greet", {}, {"run_at": utcnow().replace(tzinfo=None)}, "timezone-aware"),
    ],
    ids=["bad-type", "not-json", "naive-run-at"],
)
async def test_enqueue_refuses_bad_input_and_writes_nothing(
    unicrm_state, type_name, payload, options, message
):
    with pytest.raises(ValueError, match=message):
        async with unicrm_state.db.transaction() as session:
            await queue.enqueue(session, type_name, payload, **options)

    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 0


async def test_a_failing_job_is_retried_after_a_backoff_then_dead(unicrm_state):
    calls: list[int] = []

    async def failing(job: JobRun, session) -> None:
        calls.append(job.attempt)
        raise Boom(f"attempt {job.attempt} failed")

    job_type = JobType("test.failing", failing, max_attempts=3, backoff=10)
    worker = worker_for(unicrm_state, job_type)
    job_id = await enqueue_one(unicrm_state, "test.failing")

    before = utcnow()
    await worker.run_due()
    job = await job_row(unicrm_state, job_id)
    assert job.status == JobStatus.FAILED
    assert job.last_error == "Boom: attempt 1 failed"
    assert before + timedelta(seconds=5) <= job.run_at <= utcnow() + timedelta(seconds=10)
    assert await worker.run_due() == 0  # not due yet

    for expected in (2, 3):
        async with unicrm_state.db.transaction() as session:
            await session.execute(update(Job).values(run_at=utcnow()))
        await worker.run_due()
        assert (await job_row(unicrm_state, job_id)).attempts == expected

    dead = await job_row(unicrm_state, job_id)
    assert dead.status == JobStatus.DEAD
    assert dead.last_error == "Boom: attempt 3 failed"
    assert dead.finished_at is not None
    assert calls == [1, 2, 3]
    assert await worker.run_due() == 0  # a dead letter waits for an admin


def test_backoff_doubles_per_attempt_with_jitter_and_a_cap():
    job_type = JobType("test.any", greet_once, backoff=10)
    rng = random.Random(7)

    delays = [queue.backoff_delay(job_type, attempt, rng) for attempt in (1, 2, 3, 20)]

    assert 5 <= delays[0] <= 10
    assert 10 <= delays[1] <= 20
    assert 20 <= delays[2] <= 40
    assert 1800 <= delays[3] <= 3600


async def test_a_failed_attempt_rolls_back_its_writes(unicrm_state):
    [customer] = await add_customers(unicrm_state, "Somchai")

    async def greet_then_fail(job: JobRun, session) -> None:
        await greet_once(job, session)
        raise Boom("after the greeting")

    job_id = await enqueue_one(unicrm_state, "test.half", {"customer_id": str(customer)})
    await worker_for(unicrm_state, JobType("test.half", greet_then_fail)).run_due()

    assert (await job_row(unicrm_state, job_id)).status == JobStatus.FAILED
    assert await greetings_of(unicrm_state, customer) == 0
    assert await effects_of(unicrm_state, job_id) == 0


async def test_an_attempt_that_runs_too_long_fails_with_a_timeout(unicrm_state):
    async def slow(job: JobRun, session) -> None:
        await asyncio.sleep(5)

    job_id = await enqueue_one(unicrm_state, "test.slow")
    await worker_for(unicrm_state, JobType("test.slow", slow, timeout=0.2)).run_due()

    job = await job_row(unicrm_state, job_id)
    assert job.status == JobStatus.FAILED
    assert job.last_error == "timed out after 0.2 s"


async def test_a_job_whose_lease_expired_is_claimed_again(unicrm_state):
    [customer] = await add_customers(unicrm_state, "Somchai")
    job_id = await enqueue_one(unicrm_state, "test.greet", {"customer_id": str(customer)})
    job_type = JobType("test.greet", greet_once)
    [crashed] = await queue.claim(unicrm_state.db, "crashed", {"test.greet": job_type}, 1, 30)
    assert crashed.attempt == 1
    assert await worker_for(unicrm_state, job_type).run_due() == 0  # leased

    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Job).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert await worker_for(unicrm_state, job_type).run_due() == 1

    job = await job_row(unicrm_state, job_id)
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert await greetings_of(unicrm_state, customer) == 1


async def test_a_lease_lost_on_the_last_attempt_makes_the_job_dead(unicrm_state):
    job_type = JobType("test.greet", greet_once, max_attempts=1)
    job_id = await enqueue_one(unicrm_state, "test.greet", {})
    await queue.claim(unicrm_state.db, "crashed", {"test.greet": job_type}, 1, 30)
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Job).values(lease_until=utcnow() - timedelta(seconds=1)))

    assert await worker_for(unicrm_state, job_type).run_due() == 0

    job = await job_row(unicrm_state, job_id)
    assert job.status == JobStatus.DEAD
    assert "lease expired" in job.last_error


async def test_a_running_job_renews_its_lease(postgres_state):
    """PostgreSQL only: on SQLite the running handler holds the one write lock."""
    unicrm_state = postgres_state
    seen: list[object] = []

    async def watch(job: JobRun, session) -> None:
        await asyncio.sleep(0.9)
        async with unicrm_state.db.session() as other:
            seen.append(await other.scalar(select(Job.lease_until).where(Job.id == job.id)))

    job_id = await enqueue_one(unicrm_state, "test.watch")
    worker = worker_for(unicrm_state, JobType("test.watch", watch), lease_seconds=1.2)
    started = utcnow()
    await worker.run_due()

    assert seen[0] > started + timedelta(seconds=1.2)
    assert (await job_row(unicrm_state, job_id)).status == JobStatus.SUCCEEDED


async def test_two_workers_never_claim_the_same_job(unicrm_state):
    runs: list[uuid.UUID] = []

    async def record(job: JobRun, session) -> None:
        runs.append(job.id)
        await asyncio.sleep(0.01)

    job_type = JobType("test.record", record)
    async with unicrm_state.db.transaction() as session:
        for n in range(40):
            await queue.enqueue(session, "test.record", {"n": n})
    workers = [worker_for(unicrm_state, job_type, name=f"w{i}", concurrency=4) for i in range(3)]

    async def drain(worker) -> None:
        while await worker.run_due():
            pass

    await asyncio.gather(*(drain(w) for w in workers))

    assert len(runs) == 40
    assert len(set(runs)) == 40
    async with unicrm_state.db.session() as session:
        statuses = (await session.scalars(select(Job.status))).all()
        attempts = (await session.scalars(select(Job.attempts))).all()
    assert set(statuses) == {"succeeded"}
    assert set(attempts) == {1}


async def test_a_worker_that_lost_its_lease_cannot_commit(postgres_state):
    """Worker A stalls past its lease; B takes the job over and finishes it; A's late finish
    is rolled back, so the effect exists once."""
    state = postgres_state
    [customer] = await add_customers(state, "Somchai")
    release_a = asyncio.Event()
    a_inside = asyncio.Event()

    async def greet_slowly_the_first_time(job: JobRun, session) -> None:
        await greet_once(job, session)
        if job.attempt == 1:
            a_inside.set()
            await release_a.wait()

    job_type = JobType("test.slow_greet", greet_slowly_the_first_time)
    job_id = await enqueue_one(state, "test.slow_greet", {"customer_id": str(customer)})
    a = worker_for(state, job_type, name="a", lease_seconds=600)
    b = worker_for(state, job_type, name="b")
    a_task = asyncio.create_task(a.run_due())
    await a_inside.wait()
    async with state.db.transaction() as session:  # A's lease runs out
        await session.execute(update(Job).values(lease_until=utcnow() - timedelta(seconds=1)))

    b_task = asyncio.create_task(b.run_due())
    await asyncio.sleep(0.5)  # B blocks on A's uncommitted effect row
    release_a.set()
    await asyncio.gather(a_task, b_task)

    job = await job_row(state, job_id)
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert await greetings_of(state, customer) == 1
    assert await effects_of(state, job_id) == 1


async def test_an_effect_already_applied_is_not_applied_again(unicrm_state):
    [customer] = await add_customers(unicrm_state, "Somchai")
    job_id = await enqueue_one(unicrm_state, "test.greet", {"customer_id": str(customer)})
    run = JobRun(job_id, "test.greet", {"customer_id": str(customer)}, 1, 5, None)

    async with unicrm_state.db.transaction() as session:
        await greet_once(run, session)
    async with unicrm_state.db.transaction() as session:
        await greet_once(run, session)
        assert await queue.effect_once(session, job_id, "another effect")

    assert await greetings_of(unicrm_state, customer) == 1
    assert await effects_of(unicrm_state, job_id) == 2


async def test_the_enqueuing_trace_is_stored_and_continued_by_the_run(unicrm_state):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from unicrm.core.telemetry.tracing import activate_tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    activate_tracing(provider)
    try:
        with tracer.start_as_current_span("request") as request_span:
            job_id = await enqueue_one(unicrm_state, "test.traced")
        seen: list[str | None] = []

        async def traced(job: JobRun, session) -> None:
            seen.append(job.traceparent)

        await worker_for(unicrm_state, JobType("test.traced", traced)).run_due()
    finally:
        activate_tracing(None)

    trace_id = format(request_span.get_span_context().trace_id, "032x")
    stored = (await job_row(unicrm_state, job_id)).traceparent
    assert stored is not None and stored.split("-")[1] == trace_id
    assert seen == [stored]
    [job_span] = [s for s in exporter.get_finished_spans() if s.name == "job test.traced"]
    assert job_span.context.trace_id == request_span.get_span_context().trace_id
    assert job_span.parent.span_id == request_span.get_span_context().span_id
    assert job_span.attributes["unicrm.job.attempt"] == 1
