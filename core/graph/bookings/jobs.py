"""The no-show job: confirmed bookings nobody checked in are marked no-show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.bookings.services import mark_no_shows
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule

NO_SHOW_AFTER_MINUTES = 30


async def mark_no_shows_job(job: JobRun, session: AsyncSession) -> None:
    """Mark confirmed bookings not checked in ``after_minutes`` (payload) after their start.

    Only confirmed bookings are picked, so a re-run changes nothing twice: no effect record
    is needed.
    """
    after = int(job.payload.get("after_minutes", NO_SHOW_AFTER_MINUTES))
    await mark_no_shows(session, timedelta(minutes=after))


JOB_TYPES = (JobType("core.bookings_no_show", mark_no_shows_job, max_attempts=3, backoff=60),)
SCHEDULES = (
    Schedule(
        "core.bookings_no_show",
        "*/5 * * * *",
        job="core.bookings_no_show",
        args={"after_minutes": NO_SHOW_AFTER_MINUTES},
    ),
)
