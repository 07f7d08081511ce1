"""The transactional outbox: events commit with their change and reach every handler once."""

from __future__ import annotations

import types

import pytest
from sqlalchemy import func, select

from unicrm.core.errors import DomainError
from unicrm.core.events.models import EventDelivery, OutboxEvent
from unicrm.core.events.outbox import emit
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.core.state import create_state


def _probe_plugin(calls: list[tuple[str, str]], fail_times: dict[str, int]) -> types.ModuleType:
    module = types.ModuleType("probe")

    async def record(event, session) -> None:
        calls.append(("record", event.type))

    async def flaky(event, session) -> None:
        calls.append(("flaky", event.type))
        if fail_times.get("flaky", 0) > 0:
            fail_times["flaky"] -= 1
            raise RuntimeError("downstream unavailable")

    @hookimpl
    def plugin_manifest() -> PluginManifest:
        return PluginManifest(name="probe", version="1", title="Probe")

    @hookimpl
    def register_event_handlers() -> dict:
        return {"thing.happened": [record, flaky]}

    module.plugin_manifest = plugin_manifest
    module.register_event_handlers = register_event_handlers
    return module


@pytest.fixture
def probe(unicrm_state):
    calls: list[tuple[str, str]] = []
    fail_times: dict[str, int] = {}
    state = create_state(
        unicrm_state.settings,
        plugins={"probe": _probe_plugin(calls, fail_times)},
        db=unicrm_state.db,
    )
    return state, calls, fail_times


async def _count(state, model) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_event_is_delivered_to_every_handler_after_commit(probe):
    state, calls, _ = probe
    async with state.db.transaction() as session:
        emit(session, "thing.happened", {"n": 1})
        assert calls == []  # nothing runs before the commit
    assert await state.events.dispatch_pending() == 1
    assert calls == [("record", "thing.happened"), ("flaky", "thing.happened")]
    assert await _count(state, EventDelivery) == 2


async def test_rolled_back_transaction_publishes_nothing(probe):
    state, calls, _ = probe
    with pytest.raises(DomainError):
        async with state.db.transaction() as session:
            emit(session, "thing.happened")
            raise DomainError.single("INVALID", "rejected")
    assert await state.events.dispatch_pending() == 0
    assert await _count(state, OutboxEvent) == 0
    assert calls == []


async def test_failing_handler_is_retried_without_rerunning_the_others(probe):
    state, calls, fail_times = probe
    fail_times["flaky"] = 1
    async with state.db.transaction() as session:
        emit(session, "thing.happened")
    assert await state.events.dispatch_pending() == 0  # flaky failed: event stays pending
    async with state.db.session() as session:
        pending = await session.scalar(select(OutboxEvent))
    assert pending.dispatched_at is None
    assert pending.attempts == 1
    assert "downstream unavailable" in pending.last_error
    assert await state.events.dispatch_pending() == 1
    assert calls == [
        ("record", "thing.happened"),
        ("flaky", "thing.happened"),
        ("flaky", "thing.happened"),
    ]


async def test_redelivering_a_dispatched_event_changes_nothing(probe):
    state, calls, _ = probe
    async with state.db.transaction() as session:
        event = emit(session, "thing.happened")
    await state.events.dispatch_pending()
    async with state.db.transaction() as session:  # as if a crash lost the dispatched mark
        (await session.get(OutboxEvent, event.id)).dispatched_at = None
    await state.events.dispatch_pending()
    assert len(calls) == 2
