"""The periodic refresh of dynamic segments and their re-check when a customer changes."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import Event
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.core.jobs.queue import effect_once
from unicrm.core.segments.services import reevaluate_customer, refresh_due, refresh_segment

log = logging.getLogger("unicrm.segments")

REFRESH_JOB = "core.segments_refresh"
CHECK_EVERY = "*/5 * * * *"
"""How often due segments are looked for; each segment's ``refresh_minutes`` says when it is
due (5 minutes at the least)."""


async def refresh_segments(job: JobRun, session: AsyncSession) -> None:
    """Refresh every dynamic segment whose last refresh is older than its interval, each once
    per job. A segment whose saved definition no longer validates is skipped and logged."""
    for segment in await refresh_due(session):
        if not await effect_once(session, job.id, f"segment:{segment.id}"):
            continue
        try:
            await refresh_segment(session, segment)
        except DomainError as error:
            log.warning("segment %s not refreshed: %s", segment.id, error)


TRIGGERS = (
    "customer.created",
    "customer.updated",
    "customer.merged",
    "customer.tagged",
    "customer.untagged",
    "customer.contact_changed",
    "customer.identity_changed",
    "consent.changed",
    "order.placed",
)
"""Events after which the customer is re-checked against every dynamic segment."""


async def recheck_customer(event: Event, session: AsyncSession) -> None:
    """Re-check the event's customer; membership changes are idempotent, so a repeated
    delivery finds nothing left to change."""
    if event.customer_id is not None:
        await reevaluate_customer(session, event.customer_id)


JOB_TYPES = (JobType(REFRESH_JOB, refresh_segments, max_attempts=3, backoff=60, timeout=1800),)
SCHEDULES = (Schedule(REFRESH_JOB, CHECK_EVERY, job=REFRESH_JOB),)
EVENT_HANDLERS = {event_type: recheck_customer for event_type in TRIGGERS}
