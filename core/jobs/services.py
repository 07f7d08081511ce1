"""The admin side of the queue: finding jobs, retrying dead letters, cancelling jobs."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.jobs.models import Job, JobStatus

RETRYABLE = (JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED)
CANCELLABLE = (JobStatus.QUEUED, JobStatus.FAILED, JobStatus.RUNNING, JobStatus.DEAD)
MAX_TYPE = 100

Action = Callable[[AsyncSession, uuid.UUID], Awaitable[Job]]
"""``retry_job`` or ``cancel_job``: what the admin API and the command line call."""


@dataclass(frozen=True, slots=True)
class JobFilter:
    status: JobStatus | None = None
    type: str | None = None


def filtered(stmt: Select[Any], where: JobFilter) -> Select[Any]:
    if where.status is not None:
        stmt = stmt.where(Job.status == where.status.value)
    if where.type is not None:
        name = where.type.strip()
        if not name or len(name) > MAX_TYPE:
            raise DomainError.single("INVALID", "type must be a job type name", "filter.type")
        stmt = stmt.where(Job.type == name)
    return stmt


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """The job, locked for a change (``NO KEY UPDATE``: a running attempt's effect rows do
    not block an admin)."""
    lock = None if session.bind.dialect.name == "sqlite" else {"key_share": True}
    job = await session.get(Job, job_id, with_for_update=lock)
    if job is None:
        raise DomainError.single("NOT_FOUND", "no job with this id", "id")
    return job


async def retry_job(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """Run a failed, dead or cancelled job again now, with a fresh set of attempts."""
    job = await get_job(session, job_id)
    if JobStatus(job.status) not in RETRYABLE:
        raise DomainError.single("NOT_RETRYABLE", f"a {job.status} job cannot be retried", "id")
    job.status = JobStatus.QUEUED.value
    job.attempts = 0
    job.run_at = utcnow()
    job.lease_until = None
    job.locked_by = None
    job.finished_at = None
    await session.flush()
    return job


async def cancel_job(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """Cancel a job that has not succeeded. A running attempt is rolled back when it ends:
    its worker no longer holds the job, so it cannot commit."""
    job = await get_job(session, job_id)
    if JobStatus(job.status) not in CANCELLABLE:
        raise DomainError.single("NOT_CANCELLABLE", f"a {job.status} job cannot be cancelled", "id")
    job.status = JobStatus.CANCELLED.value
    job.lease_until = None
    job.locked_by = None
    job.finished_at = utcnow()
    await session.flush()
    return job


async def delete_finished(session: AsyncSession, before: datetime) -> int:
    """Delete succeeded and cancelled jobs finished before ``before``; dead ones stay."""
    result = await session.execute(
        delete(Job)
        .where(
            Job.status.in_([JobStatus.SUCCEEDED.value, JobStatus.CANCELLED.value]),
            Job.finished_at < before,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def list_jobs(session: AsyncSession, where: JobFilter, limit: int) -> list[Job]:
    """The newest jobs first, for the command line."""
    stmt = filtered(select(Job), where).order_by(Job.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())
