"""Core's own periodic job: finished jobs are deleted after two weeks, every night."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.core.jobs.services import delete_finished

KEEP_DAYS = 14


async def delete_old_jobs(job: JobRun, session: AsyncSession) -> None:
    """Delete succeeded and cancelled jobs older than ``keep_days`` (payload) days.

    Deleting is idempotent, so a re-run needs no effect record.
    """
    keep_days = int(job.payload.get("keep_days", KEEP_DAYS))
    await delete_finished(session, utcnow() - timedelta(days=keep_days))


JOB_TYPES = (JobType("core.jobs_cleanup", delete_old_jobs, max_attempts=3, backoff=300),)
SCHEDULES = (
    Schedule(
        "core.jobs_cleanup", "30 3 * * *", job="core.jobs_cleanup", args={"keep_days": KEEP_DAYS}
    ),
)
