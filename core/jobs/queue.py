"""The queue operations: enqueue in the caller's transaction, claim under a lease, finish.

Claiming is one statement per batch. On PostgreSQL it is an ``UPDATE … WHERE id IN (SELECT …
FOR NO KEY UPDATE SKIP LOCKED)``: concurrent workers skip each other's rows instead of waiting, and
no job is handed to two of them. On SQLite the same UPDATE … RETURNING runs under ``BEGIN
IMMEDIATE``, which makes it the only writer. A claimed job carries a lease (``lease_until``)
that its worker renews while it runs; once a lease expires the job is claimable again.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.database import Database
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.jobs.contracts import JOB_NAME_RE, MAX_BACKOFF_SECONDS, JobRun, JobType
from unicrm.core.jobs.models import RUNNABLE, Job, JobEffect, JobStatus
from unicrm.core.retry import RetryPolicy
from unicrm.core.telemetry.tracing import current_traceparent

MAX_ERROR = 4000


def _json_payload(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    data = dict(payload or {})
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a job payload must be JSON: {exc}") from None
    return data


async def enqueue(
    session: AsyncSession,
    type: str,
    payload: Mapping[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add a job in the caller's transaction: a rolled-back change enqueues nothing.

    With ``unique_key``, enqueuing a key that exists already is a no-op that returns the
    existing job (also when another transaction inserts the same key concurrently).
    ``max_attempts`` defaults to the job type's. The current trace context is stored so the
    run continues the trace.
    """
    if not JOB_NAME_RE.match(type):
        raise ValueError(f"job type {type!r} must look like 'plugin.job_name'")
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    now = utcnow()
    values = {
        "id": uuid7(),
        "type": type,
        "payload": _json_payload(payload),
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "unique_key": unique_key,
        "traceparent": current_traceparent(),
        "created_at": now,
    }
    if unique_key is None:
        job = Job(**values)
        session.add(job)
        await session.flush()
        return job
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(Job).values(**values).on_conflict_do_nothing(index_elements=["unique_key"])
    )
    job = await session.scalar(select(Job).where(Job.unique_key == unique_key))
    assert job is not None  # inserted now, or found: the key is unique and never deleted here
    return job


async def effect_once(session: AsyncSession, job_id: uuid.UUID, key: str = "") -> bool:
    """Record effect ``key`` of job ``job_id``; False when a previous run already applied it.

    Call it in the handler's session before writing the effect, and skip the effect when it
    returns False: the record commits (or rolls back) with the effect, so a re-run after a
    crash never applies it twice, and two overlapping runs cannot both commit it.
    """
    if await session.get(JobEffect, (job_id, key)) is not None:
        return False
    session.add(JobEffect(job_id=job_id, key=key))
    await session.flush()
    return True


def backoff_delay(job_type: JobType, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential, capped, with up to 50% jitter."""
    policy = RetryPolicy(job_type.max_attempts, job_type.backoff, MAX_BACKOFF_SECONDS)
    return policy.delay(attempt).total_seconds() * (0.5 + (rng or random).random() / 2)


def _held(job_id: uuid.UUID, worker: str, attempt: int) -> Any:
    """The job is still this worker's: a fence against a lease taken over by another worker."""
    return and_(
        Job.id == job_id,
        Job.status == JobStatus.RUNNING.value,
        Job.locked_by == worker,
        Job.attempts == attempt,
    )


async def reap_expired(session: AsyncSession, now: datetime) -> int:
    """Jobs whose last allowed attempt lost its lease (a crashed worker) are dead."""
    result = await session.execute(
        update(Job)
        .where(
            Job.status == JobStatus.RUNNING.value,
            Job.lease_until < now,
            Job.max_attempts.is_not(None),
            Job.attempts >= Job.max_attempts,
        )
        .values(
            status=JobStatus.DEAD.value,
            finished_at=now,
            lease_until=None,
            locked_by=None,
            last_error="the worker stopped responding during the last attempt (lease expired)",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def claim(
    db: Database, worker: str, types: Mapping[str, JobType], limit: int, lease: float
) -> list[JobRun]:
    """Claim up to ``limit`` due jobs of ``types`` for ``worker``, each under a lease.

    Due means queued or failed with ``run_at`` reached, or running with an expired lease.
    Jobs of types this process does not know are left for a process that does.
    """
    if limit <= 0 or not types:
        return []
    now = utcnow()
    async with db.transaction() as session:
        await reap_expired(session, now)
        due = or_(
            and_(Job.status.in_([s.value for s in RUNNABLE]), Job.run_at <= now),
            and_(Job.status == JobStatus.RUNNING.value, Job.lease_until < now),
        )
        pick = (
            select(Job.id)
            .where(Job.type.in_(list(types)), due)
            .order_by(Job.run_at, Job.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            # NO KEY UPDATE: a running handler's rows referencing the job (job_effect) hold a
            # key-share lock on it, which must not keep an expired lease from being taken over.
            pick = pick.with_for_update(skip_locked=True, key_share=True)
        defaults = case(
            {name: t.max_attempts for name, t in types.items()}, value=Job.type, else_=1
        )
        rows = await session.execute(
            update(Job)
            .where(Job.id.in_(pick.scalar_subquery()))
            .values(
                status=JobStatus.RUNNING.value,
                attempts=Job.attempts + 1,
                max_attempts=func.coalesce(Job.max_attempts, defaults),
                locked_by=worker,
                lease_until=now + timedelta(seconds=lease),
                started_at=now,
                finished_at=None,
            )
            .returning(
                Job.id,
                Job.type,
                Job.payload,
                Job.attempts,
                Job.max_attempts,
                Job.unique_key,
                Job.traceparent,
            )
            .execution_options(synchronize_session=False)
        )
        return [
            JobRun(
                r.id,
                r.type,
                dict(r.payload),
                r.attempts,
                r.max_attempts,
                r.unique_key,
                r.traceparent,
            )
            for r in rows
        ]


async def renew_lease(db: Database, run: JobRun, worker: str, lease: float) -> bool:
    """Extend the lease of a running job; False when the job is no longer this worker's."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Job)
            .where(_held(run.id, worker, run.attempt))
            .values(lease_until=utcnow() + timedelta(seconds=lease))
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


async def mark_succeeded(session: AsyncSession, run: JobRun, worker: str) -> bool:
    """In the handler's transaction: the job is done, if it is still this worker's."""
    result = await session.execute(
        update(Job)
        .where(_held(run.id, worker, run.attempt))
        .values(
            status=JobStatus.SUCCEEDED.value,
            finished_at=utcnow(),
            lease_until=None,
            locked_by=None,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_failed(
    db: Database, run: JobRun, worker: str, job_type: JobType, error: str
) -> JobStatus | None:
    """Record a failed attempt: retried after a backoff, or dead after the last attempt."""
    now = utcnow()
    dead = run.attempt >= run.max_attempts
    status = JobStatus.DEAD if dead else JobStatus.FAILED
    async with db.transaction() as session:
        result = await session.execute(
            update(Job)
            .where(_held(run.id, worker, run.attempt))
            .values(
                status=status.value,
                run_at=now
                if dead
                else now + timedelta(seconds=backoff_delay(job_type, run.attempt)),
                finished_at=now if dead else None,
                lease_until=None,
                locked_by=None,
                last_error=error[:MAX_ERROR],
            )
            .execution_options(synchronize_session=False)
        )
    return status if result.rowcount == 1 else None


async def release(db: Database, run: JobRun, worker: str) -> None:
    """Give an interrupted attempt back (graceful shutdown): runnable now, attempt refunded."""
    async with db.transaction() as session:
        await session.execute(
            update(Job)
            .where(_held(run.id, worker, run.attempt))
            .values(
                status=JobStatus.QUEUED.value,
                attempts=Job.attempts - 1,
                run_at=utcnow(),
                lease_until=None,
                locked_by=None,
            )
            .execution_options(synchronize_session=False)
        )
