"""Job queue depth and age, pending deliveries per target, and how often gauges probe."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from unicrm.core.db.types import utcnow
from unicrm.core.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from unicrm.core.jobs.models import Job, JobStatus
from unicrm.core.telemetry import bind_gauges, unbind_gauges
from unicrm.core.telemetry.outbox import OUTBOX_LAG
from unicrm.core.telemetry.queues import (
    FAILED_DELIVERIES,
    JOB_OLDEST_DUE_AGE,
    JOB_QUEUE_DEPTH,
    PENDING_DELIVERIES,
)


def by(points, attribute: str) -> dict[str, float]:
    return {p.attributes[attribute]: p.value for p in points}


async def collect(telemetry, name: str):
    # Collection happens off the event loop (the exporter's thread); the probe runs on it.
    return await asyncio.to_thread(telemetry.points, name)


async def test_job_queue_depth_per_status_and_age_of_the_oldest_due_job(unicrm_state, telemetry):
    now = utcnow()
    async with unicrm_state.db.transaction() as session:
        session.add(
            Job(type="t", status=JobStatus.QUEUED.value, run_at=now - timedelta(minutes=10))
        )
        session.add(Job(type="t", status=JobStatus.QUEUED.value, run_at=now + timedelta(hours=1)))
        session.add(Job(type="t", status=JobStatus.FAILED.value, run_at=now - timedelta(minutes=2)))
        session.add(Job(type="t", status=JobStatus.RUNNING.value))
        session.add(Job(type="t", status=JobStatus.DEAD.value))
        session.add(Job(type="t", status=JobStatus.SUCCEEDED.value, run_at=now - timedelta(days=1)))
    bind_gauges(unicrm_state.db)
    try:
        depth = by(await collect(telemetry, JOB_QUEUE_DEPTH), "status")
        (age,) = await collect(telemetry, JOB_OLDEST_DUE_AGE)
    finally:
        unbind_gauges()
    assert depth == {"queued": 2, "running": 1, "failed": 1, "dead": 1}
    assert 600 <= age.value < 700  # the succeeded and the future job do not count


async def test_empty_queues_report_zero(unicrm_state, telemetry):
    bind_gauges(unicrm_state.db)
    try:
        depth = by(await collect(telemetry, JOB_QUEUE_DEPTH), "status")
        (age,) = await collect(telemetry, JOB_OLDEST_DUE_AGE)
        pending = by(await collect(telemetry, PENDING_DELIVERIES), "target")
    finally:
        unbind_gauges()
    assert depth == {"queued": 0, "running": 0, "failed": 0, "dead": 0}
    assert age.value == 0
    assert pending == {"webhooks": 0}


async def test_pending_deliveries_per_target(unicrm_state, telemetry):
    async with unicrm_state.db.transaction() as session:
        event = OutboxEvent(type="thing.happened", dispatched_at=utcnow())
        other = OutboxEvent(type="thing.happened", dispatched_at=utcnow())
        session.add_all([event, other])
        await session.flush()
        for row, handler, status in [
            (event, "sink:nats", DeliveryStatus.RETRYING),
            (other, "sink:nats", DeliveryStatus.PENDING),
            (event, "probe:record", DeliveryStatus.PENDING),
            (other, "probe:record", DeliveryStatus.DELIVERED),
            (event, "probe:flaky", DeliveryStatus.DEAD),
        ]:
            session.add(
                EventDelivery(event_id=row.id, event_type=row.type, handler=handler, status=status)
            )
    bind_gauges(unicrm_state.db)
    try:
        pending = by(await collect(telemetry, PENDING_DELIVERIES), "target")
        failed = {
            (p.attributes["kind"], p.attributes["status"]): p.value
            for p in await collect(telemetry, FAILED_DELIVERIES)
        }
    finally:
        unbind_gauges()
    assert pending == {"sink:nats": 2, "probe:record": 1, "webhooks": 0}
    assert failed == {
        ("events", "retrying"): 1,
        ("events", "dead"): 1,
        ("webhooks", "retrying"): 0,
        ("webhooks", "dead"): 0,
        ("webhooks", "disabled"): 0,
    }


async def test_a_gauge_probes_the_database_at_most_once_per_interval(unicrm_state, telemetry):
    bind_gauges(unicrm_state.db, interval=3600)
    try:
        (first,) = await collect(telemetry, OUTBOX_LAG)
        async with unicrm_state.db.transaction() as session:
            session.add(
                OutboxEvent(type="thing.happened", created_at=utcnow() - timedelta(hours=1))
            )
        (cached,) = await collect(telemetry, OUTBOX_LAG)
        bind_gauges(unicrm_state.db, interval=0)
        (fresh,) = await collect(telemetry, OUTBOX_LAG)
    finally:
        unbind_gauges()
    assert first.value == cached.value == 0
    assert fresh.value >= 3600
