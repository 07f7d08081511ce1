"""Retention of the inbox: read notifications are deleted after a while, every night."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.graph.notifications.services import delete_read_before
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule

KEEP_READ_DAYS = 30


async def delete_old_notifications(job: JobRun, session: AsyncSession) -> None:
    """Delete notifications read more than ``keep_days`` (payload) days ago; unread ones stay.

    Deleting is idempotent, so a re-run needs no effect record.
    """
    keep_days = int(job.payload.get("keep_days", KEEP_READ_DAYS))
    await delete_read_before(session, utcnow() - timedelta(days=keep_days))


JOB_TYPES = (
    JobType("core.notifications_cleanup", delete_old_notifications, max_attempts=3, backoff=300),
)
SCHEDULES = (
    Schedule(
        "core.notifications_cleanup",
        "45 3 * * *",
        job="core.notifications_cleanup",
        args={"keep_days": KEEP_READ_DAYS},
    ),
)
