"""The scheduler: enqueues each due slot of every registered ``Schedule`` once.

Every minute it takes, per schedule, the latest slot at or before now (wall-clock time in the
schedule's zone, the business time zone by default). A slot later than the one recorded in
``job_schedule`` is enqueued with the unique key ``schedule:<name>:<slot ISO>``, so any number
of schedulers (one per server or worker process) enqueue it once. After downtime only the
latest missed slot runs, once; so does the latest past slot of a schedule seen the first time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.jobs.contracts import Schedule
from unicrm.core.jobs.cron import Cron
from unicrm.core.jobs.models import Job, JobSchedule
from unicrm.core.jobs.queue import enqueue

log = logging.getLogger("unicrm.jobs")


def slot_key(name: str, slot: datetime) -> str:
    return f"schedule:{name}:{slot.isoformat()}"


class Scheduler:
    def __init__(
        self, db: Database, schedules: Mapping[str, Schedule], business_zone: ZoneInfo
    ) -> None:
        self.db = db
        self.plans = [
            (schedule, Cron.parse(schedule.cron), schedule.zone(business_zone))
            for schedule in schedules.values()
        ]

    async def tick(self, now: datetime | None = None) -> list[Job]:
        """Enqueue the due slot of every schedule that has one; returns the new jobs."""
        moment = now or utcnow()
        enqueued = []
        for schedule, cron, zone in self.plans:
            slot = cron.latest(moment, zone)
            if slot is None:
                continue
            try:
                job = await self._enqueue_slot(schedule, slot)
            except IntegrityError:
                continue  # another scheduler recorded this schedule first; it enqueued the slot
            if job is not None:
                enqueued.append(job)
        return enqueued

    async def _enqueue_slot(self, schedule: Schedule, slot: datetime) -> Job | None:
        async with self.db.transaction() as session:
            state = await session.get(JobSchedule, schedule.name)
            if state is not None and state.last_slot >= slot:
                return None
            job = await enqueue(
                session, schedule.job, schedule.args, unique_key=slot_key(schedule.name, slot)
            )
            if state is None:
                session.add(JobSchedule(name=schedule.name, last_slot=slot))
            else:
                state.last_slot = slot
            await session.flush()
        log.info("schedule %s: enqueued slot %s", schedule.name, slot.isoformat())
        return job

    async def run(self, stop: asyncio.Event) -> None:
        """Tick at the start of every minute until ``stop`` is set."""
        if not self.plans:
            return
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # a database hiccup must not end the schedules
                log.exception("scheduling jobs failed")
            now = utcnow()
            pause = 60 - now.second - now.microsecond / 1e6 + 0.05
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)
