"""Periodic jobs: one job per slot, in the business time zone, the latest missed slot once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from unicrm.core.jobs.contracts import Schedule
from unicrm.core.jobs.models import Job
from unicrm.core.jobs.scheduler import Scheduler

BANGKOK = ZoneInfo("Asia/Bangkok")
NIGHTLY = Schedule("test.nightly", "0 2 * * *", job="test.sweep", args={"keep": 3})


def scheduler(state, *schedules: Schedule) -> Scheduler:
    return Scheduler(state.db, {s.name: s for s in schedules}, BANGKOK)


async def jobs_of(state) -> list[Job]:
    async with state.db.session() as session:
        return list((await session.scalars(select(Job).order_by(Job.id))).all())


async def test_a_due_slot_is_enqueued_once_with_its_slot_key(unicrm_state):
    at = datetime(2026, 11, 23, 19, 0, 5, tzinfo=UTC)  # 02:00:05 on the 24th in Bangkok
    clock = scheduler(unicrm_state, NIGHTLY)

    [job] = await clock.tick(at)
    assert await clock.tick(at) == []
    assert await scheduler(unicrm_state, NIGHTLY).tick(at) == []  # another process

    [stored] = await jobs_of(unicrm_state)
    assert stored.id == job.id
    assert stored.type == "test.sweep"
    assert stored.payload == {"keep": 3}
    assert stored.unique_key == "schedule:test.nightly:2026-11-24T02:00:00+07:00"


async def test_each_new_slot_gets_its_own_job(unicrm_state):
    clock = scheduler(unicrm_state, NIGHTLY)

    await clock.tick(datetime(2026, 11, 23, 19, 1, tzinfo=UTC))
    await clock.tick(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))  # same Bangkok day
    await clock.tick(datetime(2026, 11, 24, 19, 1, tzinfo=UTC))

    keys = [j.unique_key for j in await jobs_of(unicrm_state)]
    assert keys == [
        "schedule:test.nightly:2026-11-24T02:00:00+07:00",
        "schedule:test.nightly:2026-11-25T02:00:00+07:00",
    ]


async def test_after_downtime_only_the_latest_missed_slot_runs_once(unicrm_state):
    hourly = Schedule("test.hourly", "0 * * * *", job="test.sweep")
    clock = scheduler(unicrm_state, hourly)
    await clock.tick(datetime(2026, 11, 23, 1, 5, tzinfo=UTC))

    await clock.tick(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))  # down for six hours
    await clock.tick(datetime(2026, 11, 23, 7, 45, tzinfo=UTC))

    keys = [j.unique_key for j in await jobs_of(unicrm_state)]
    assert keys == [
        "schedule:test.hourly:2026-11-23T08:00:00+07:00",
        "schedule:test.hourly:2026-11-23T14:00:00+07:00",
    ]


async def test_a_schedule_in_its_own_time_zone(unicrm_state):
    tokyo = Schedule("test.tokyo", "0 9 * * *", job="test.sweep", timezone="Asia/Tokyo")

    [job] = await scheduler(unicrm_state, tokyo).tick(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))

    assert job.unique_key == "schedule:test.tokyo:2026-11-23T09:00:00+09:00"


async def test_concurrent_schedulers_enqueue_a_slot_once(unicrm_state):
    at = datetime(2026, 11, 23, 19, 0, 5, tzinfo=UTC)
    clocks = [scheduler(unicrm_state, NIGHTLY) for _ in range(4)]

    await asyncio.gather(*(c.tick(at) for c in clocks))

    assert len(await jobs_of(unicrm_state)) == 1


async def test_the_scheduler_loop_enqueues_at_once_and_stops_when_asked(unicrm_state):
    every_minute = Schedule("test.minutely", "* * * * *", job="test.sweep")
    stop = asyncio.Event()
    loop = asyncio.create_task(scheduler(unicrm_state, every_minute).run(stop))
    for _ in range(100):
        if await jobs_of(unicrm_state):
            break
        await asyncio.sleep(0.05)

    stop.set()
    await asyncio.wait_for(loop, 5)

    [job] = await jobs_of(unicrm_state)
    assert job.unique_key.startswith("schedule:test.minutely:")
