"""The bookings' periodic jobs: no-shows and reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.bookings.reminders import send_due_reminders
from unicrm.core.graph.bookings.services import mark_no_shows
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule

NO_SHOW_AFTER_MINUTES = 30
REMINDER_CHANNEL = "email"


async def mark_no_shows_job(job: JobRun, session: AsyncSession) -> None:
    """Mark confirmed bookings not checked in ``after_minutes`` (payload) after their start.

    Only confirmed bookings are picked, so a re-run changes nothing twice: no effect record
    is needed.
    """
    after = int(job.payload.get("after_minutes", NO_SHOW_AFTER_MINUTES))
    await mark_no_shows(session, timedelta(minutes=after))


async def send_reminders_job(job: JobRun, session: AsyncSession) -> None:
    """Send due booking reminders on the payload's channel (idempotent: see reminders.py)."""
    await send_due_reminders(session, channel=str(job.payload.get("channel", REMINDER_CHANNEL)))


JOB_TYPES = (
    JobType("core.bookings_no_show", mark_no_shows_job, max_attempts=3, backoff=60),
    JobType("core.bookings_remind", send_reminders_job, max_attempts=5, backoff=60),
)
SCHEDULES = (
    Schedule(
        "core.bookings_remind",
        "*/5 * * * *",
        job="core.bookings_remind",
        args={"channel": REMINDER_CHANNEL},
    ),
    Schedule(
        "core.bookings_no_show",
        "*/5 * * * *",
        job="core.bookings_no_show",
        args={"after_minutes": NO_SHOW_AFTER_MINUTES},
    ),
)
