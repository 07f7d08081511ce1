"""Durable jobs of customer service: the SLA scan, every minute; the recomputation of open
cases' due times after an SLA policy or calendar change, in batches; NPS surveys sent to a
segment, in batches; customers' RFM scores, lifetime value and churn risk, nightly; due reminders, daily."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.plugins.crm.services import nps, reminders, retention, sla


async def sla_scan(job: JobRun, session: AsyncSession) -> None:
    """Announce the SLA warnings and breaches due (``now`` in the payload: a manual run)."""
    given = job.payload.get("now")
    now = datetime.fromisoformat(given) if given else utcnow()
    await sla.scan(session, job.id, now, limit=int(job.payload.get("limit", 1000)))


async def sla_reapply(job: JobRun, session: AsyncSession) -> None:
    """Give a batch of open cases their due times under the current policies."""
    await sla.reapply_batch(session, job.app_settings.zone, job.payload)


async def nps_send(job: JobRun, session: AsyncSession) -> None:
    """Send a batch of NPS surveys to a segment's members."""
    await nps.send_batch(session, job.payload)


async def customer_values(job: JobRun, session: AsyncSession) -> None:
    """Recompute every customer's RFM scores, lifetime value and churn risk."""
    settings = job.app_settings
    given = job.payload.get("now")
    now = datetime.fromisoformat(given) if given else utcnow()
    lapsed_days = int(job.payload.get("lapsed_days", retention.LAPSED_DAYS))
    await retention.recompute(session, settings.currency, now, lapsed_days)


async def send_reminders(job: JobRun, session: AsyncSession) -> None:
    """Send the repurchase and maintenance reminders due (``now`` in the payload: a test)."""
    given = job.payload.get("now")
    now = datetime.fromisoformat(given) if given else utcnow()
    await reminders.send_due(session, now, job.app_settings.zone)


JOB_TYPES = (
    JobType("crm.sla_scan", sla_scan, max_attempts=5, backoff=10.0),
    JobType(sla.REAPPLY_JOB, sla_reapply, max_attempts=5, backoff=10.0),
    JobType(nps.SEND_JOB, nps_send, max_attempts=5, backoff=30.0),
    JobType(retention.JOB, customer_values, max_attempts=3, backoff=60.0),
    JobType(reminders.JOB, send_reminders, max_attempts=3, backoff=60.0),
)
SCHEDULES = (
    Schedule("crm.sla_scan", "* * * * *", job="crm.sla_scan"),
    Schedule(retention.JOB, "30 2 * * *", job=retention.JOB),
    Schedule(reminders.JOB, "0 3 * * *", job=reminders.JOB),
)
