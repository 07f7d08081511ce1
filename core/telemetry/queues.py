"""Gauges of the durable queues: job queue depth and age, pending and failed deliveries.

Each is one indexed query (``ix_job_claim``, ``ix_event_delivery_due``,
``ix_webhook_delivery_due``), sampled at most every ``PROBE_INTERVAL_SECONDS``.
"""

from __future__ import annotations

from opentelemetry.metrics import Observation
from sqlalchemy import func, select

from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import DUE_STATUSES, DeliveryStatus, EventDelivery
from unicrm.core.jobs.models import RUNNABLE, Job, JobStatus
from unicrm.core.telemetry.metrics import gauge
from unicrm.core.webhooks.models import WebhookDelivery, WebhookEndpoint

JOB_QUEUE_DEPTH = "unicrm.jobs.queue_depth"
JOB_OLDEST_DUE_AGE = "unicrm.jobs.oldest_due_age"
PENDING_DELIVERIES = "unicrm.events.pending_deliveries"
FAILED_DELIVERIES = "unicrm.deliveries.failed"

QUEUE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.DEAD)
WEBHOOKS_TARGET = "webhooks"


@gauge(
    JOB_QUEUE_DEPTH,
    unit="{job}",
    description="Jobs by status: queued, running, failed (to be retried) and dead.",
)
async def job_queue_depth(db: Database) -> list[Observation]:
    statuses = [status.value for status in QUEUE_STATUSES]
    async with db.session() as session:
        counts = dict(
            (
                await session.execute(
                    select(Job.status, func.count())
                    .where(Job.status.in_(statuses))
                    .group_by(Job.status)
                )
            ).all()
        )
    return [Observation(counts.get(status, 0), {"status": status}) for status in statuses]


@gauge(
    JOB_OLDEST_DUE_AGE,
    unit="s",
    description="How long the oldest job due to run has been waiting; 0 when none is due.",
)
async def job_oldest_due_age(db: Database) -> float:
    now = utcnow()
    async with db.session() as session:
        oldest = await session.scalar(
            select(func.min(Job.run_at)).where(
                Job.status.in_([status.value for status in RUNNABLE]), Job.run_at <= now
            )
        )
    return 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)


@gauge(
    PENDING_DELIVERIES,
    unit="{delivery}",
    description="Event deliveries pending or retrying, by target: a handler, sink:nats, webhooks.",
)
async def pending_deliveries(db: Database) -> list[Observation]:
    async with db.session() as session:
        handlers = (
            await session.execute(
                select(EventDelivery.handler, func.count())
                .where(EventDelivery.status.in_(DUE_STATUSES))
                .group_by(EventDelivery.handler)
            )
        ).all()
        webhooks = await session.scalar(
            select(func.count()).where(WebhookDelivery.status.in_(DUE_STATUSES))
        )
    found = [Observation(count, {"target": target}) for target, count in handlers]
    return [*found, Observation(webhooks or 0, {"target": WEBHOOKS_TARGET})]


@gauge(
    FAILED_DELIVERIES,
    unit="{delivery}",
    description="Deliveries that failed: retrying (failed at least once, to be retried) and "
    "dead, for handlers and sinks (events) and for webhooks.",
)
async def failed_deliveries(db: Database) -> list[Observation]:
    statuses = (DeliveryStatus.RETRYING, DeliveryStatus.DEAD)
    found: list[Observation] = []
    async with db.session() as session:
        for kind, model in (("events", EventDelivery), ("webhooks", WebhookDelivery)):
            counts = dict(
                (
                    await session.execute(
                        select(model.status, func.count())
                        .where(model.status.in_(statuses))
                        .group_by(model.status)
                    )
                ).all()
            )
            found += [
                Observation(counts.get(s, 0), {"kind": kind, "status": s.value}) for s in statuses
            ]
        disabled = await session.scalar(
            select(func.count()).where(WebhookEndpoint.disabled_at.is_not(None))
        )
    return [*found, Observation(disabled or 0, {"kind": "webhooks", "status": "disabled"})]
