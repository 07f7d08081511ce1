"""Delivery to handlers: independent, retried with backoff, dead-lettered, crash-safe."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from events.support import Probe, probe_state
from unicrm.core.config import EventSettings
from unicrm.core.db.types import utcnow
from unicrm.core.events.dispatcher import dispatch_once, run_dispatcher
from unicrm.core.events.models import DeliveryStatus, EventDelivery
from unicrm.core.events.outbox import emit


@pytest.fixture
def probe(unicrm_state):
    found = Probe()
    state = probe_state(unicrm_state, found)
    state.events.settings = EventSettings(
        max_attempts=3, backoff_base_seconds=10, backoff_max_seconds=15
    )
    return state, found


async def _deliveries(state) -> dict[str, EventDelivery]:
    async with state.db.session() as session:
        rows = (await session.scalars(select(EventDelivery))).all()
    return {row.handler.rsplit(".", 1)[-1]: row for row in rows}


async def _emit(state, n: int = 1) -> None:
    async with state.db.transaction() as session:
        for i in range(n):
            emit(session, "thing.happened", {"n": i})


async def test_failing_handler_is_retried_with_backoff_without_rerunning_the_others(probe):
    state, seen = probe
    seen.failures_left = 1
    await _emit(state)
    before = utcnow()
    assert await state.events.dispatch_pending() == 1
    rows = await _deliveries(state)
    assert rows["record"].status is DeliveryStatus.DELIVERED
    flaky = rows["flaky"]
    assert flaky.status is DeliveryStatus.RETRYING
    assert flaky.attempts == 1
    assert "downstream unavailable" in flaky.last_error
    assert before + timedelta(seconds=10) <= flaky.next_attempt_at
    assert flaky.next_attempt_at <= utcnow() + timedelta(seconds=10)

    assert await state.events.dispatch_pending() == 0  # not due yet: nothing runs
    later = utcnow() + timedelta(seconds=11)
    assert await state.events.dispatch_pending(now=later) == 1
    assert seen.calls == [
        ("record", "thing.happened"),
        ("flaky", "thing.happened"),
        ("flaky", "thing.happened"),
    ]
    flaky = (await _deliveries(state))["flaky"]
    assert (flaky.status, flaky.attempts, flaky.last_error) == (DeliveryStatus.DELIVERED, 2, None)


async def test_backoff_doubles_and_the_delivery_dies_after_max_attempts(probe):
    state, seen = probe
    seen.failures_left = 10
    await _emit(state)
    await state.events.fan_out()
    now = utcnow()
    await state.events.dispatch_pending(now=now)
    first = (await _deliveries(state))["flaky"].next_attempt_at
    assert first == now + timedelta(seconds=10)
    now = first
    await state.events.dispatch_pending(now=now)
    second = (await _deliveries(state))["flaky"].next_attempt_at
    assert second == now + timedelta(seconds=15)  # 20 s, capped at 15
    await state.events.dispatch_pending(now=second)
    flaky = (await _deliveries(state))["flaky"]
    assert (flaky.status, flaky.attempts, flaky.next_attempt_at) == (DeliveryStatus.DEAD, 3, None)
    await state.events.dispatch_pending(now=second + timedelta(days=1))
    assert seen.calls.count(("flaky", "thing.happened")) == 3


async def test_undelivered_rows_are_delivered_by_a_restarted_process(probe, unicrm_state):
    state, seen = probe
    await _emit(state, 2)  # committed; the process "crashes" before dispatching
    assert seen.calls == []
    restarted_probe = Probe()
    restarted = probe_state(unicrm_state, restarted_probe)
    assert await dispatch_once(restarted) == 4
    assert (
        sorted(restarted_probe.calls)
        == [("flaky", "thing.happened")] * 2 + [("record", "thing.happened")] * 2
    )


async def test_concurrent_dispatchers_deliver_each_delivery_once(probe, unicrm_state):
    state, seen = probe
    await _emit(state, 6)
    await state.events.fan_out()
    other = probe_state(unicrm_state, seen)
    delivered = await asyncio.gather(
        state.events.deliver_due(), other.events.deliver_due(), state.events.deliver_due()
    )
    assert sum(delivered) == 12
    assert sorted(seen.calls) == sorted(
        [("flaky", "thing.happened"), ("record", "thing.happened")] * 6
    )


async def test_deliveries_of_handlers_a_process_lacks_wait_for_one_that_has_them(
    probe, unicrm_state
):
    state, seen = probe
    await _emit(state)
    await state.events.fan_out()
    assert await unicrm_state.events.deliver_due() == 0  # no probe plugin in this process
    rows = await _deliveries(state)
    assert {r.status for r in rows.values()} == {DeliveryStatus.PENDING}
    assert await state.events.deliver_due() == 2
    assert len(seen.calls) == 2


async def test_dispatcher_loop_delivers_after_commit_and_stops_when_told(probe):
    state, seen = probe
    stop = asyncio.Event()
    loop = asyncio.create_task(run_dispatcher(state, stop))
    try:
        await asyncio.sleep(0.05)
        assert state.events.dispatcher_running
        await _emit(state)
        await state.events.after_commit()  # wakes the loop instead of delivering inline
        for _ in range(100):
            if len(seen.calls) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(seen.calls) == 2
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
    assert not state.events.dispatcher_running
