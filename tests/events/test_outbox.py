"""The transactional outbox: events commit with their change, typed, with their trace."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import func, select

from events.support import Probe, probe_state
from unicrm.core.errors import DomainError
from unicrm.core.events.idempotency import once
from unicrm.core.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from unicrm.core.events.outbox import Event, emit
from unicrm.core.events.types import EVENT_TYPES, OrderPlaced, matches


@pytest.fixture
def probe(unicrm_state):
    found = Probe()
    return probe_state(unicrm_state, found), found


async def _count(state, model) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_event_is_delivered_to_every_handler_after_commit(probe):
    state, seen = probe
    async with state.db.transaction() as session:
        emit(session, "thing.happened", {"n": 1})
        assert seen.calls == []  # nothing runs before the commit
    assert await state.events.dispatch_pending() == 2
    assert seen.calls == [("record", "thing.happened"), ("flaky", "thing.happened")]
    async with state.db.session() as session:
        statuses = (await session.scalars(select(EventDelivery.status))).all()
    assert statuses == [DeliveryStatus.DELIVERED] * 2


async def test_rolled_back_transaction_publishes_nothing(probe):
    state, seen = probe
    with pytest.raises(DomainError):
        async with state.db.transaction() as session:
            emit(session, "thing.happened")
            raise DomainError.single("INVALID", "rejected")
    assert await state.events.dispatch_pending() == 0
    assert await _count(state, OutboxEvent) == 0
    assert await _count(state, EventDelivery) == 0
    assert seen.calls == []


async def test_redelivering_a_dispatched_event_changes_nothing(probe):
    state, seen = probe
    async with state.db.transaction() as session:
        event = emit(session, "thing.happened")
    await state.events.dispatch_pending()
    async with state.db.transaction() as session:  # as if a crash lost the dispatched mark
        (await session.get(OutboxEvent, event.id)).dispatched_at = None
    await state.events.dispatch_pending()
    assert len(seen.calls) == 2
    assert await _count(state, EventDelivery) == 2


async def test_handlers_run_in_the_trace_of_the_request_that_emitted(probe):
    state, seen = probe
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        async with state.db.transaction() as session:
            event = emit(session, "thing.happened")
        trace_id = span.get_span_context().trace_id
    async with state.db.session() as session:
        stored = await session.get(OutboxEvent, event.id)
    assert stored.traceparent.startswith(f"00-{trace_id:032x}-")
    await state.events.dispatch_pending()
    assert seen.trace_ids == [trace_id]


async def test_declared_payloads_are_checked_when_emitted(unicrm_state):
    assert {"customer.created", "customer.merged", "order.placed", "consent.changed"} <= set(
        EVENT_TYPES
    )
    async with unicrm_state.db.transaction() as session:
        with pytest.raises(ValueError, match=r"customer\.merged"):
            emit(session, "customer.merged", {"source_id": "x"})  # merge_id missing
        with pytest.raises(ValueError, match=r"customer\.created"):
            emit(session, "customer.created", {"kind": "person", "extra": 1})
        with pytest.raises(ValueError, match="not the payload"):
            emit(
                session,
                "customer.created",
                OrderPlaced("o", "pos", None, None, "t", "THB", "1", []),
            )
        row = emit(session, "customer.tagged", {"tag": "vip"})
    event = Event.from_row(row)
    assert event.data.tag == "vip"


def test_patterns_select_types_by_exact_name_prefix_or_all():
    assert matches("customer.*", "customer.created")
    assert not matches("customer.*", "consent.changed")
    assert matches("*", "order.placed")
    assert matches("order.placed", "order.placed")
    assert not matches("order.placed", "order.placed_again")


async def test_once_claims_an_effect_once_per_event_and_forgets_rolled_back_claims(
    unicrm_state,
):
    async with unicrm_state.db.transaction() as session:
        row = emit(session, "customer.tagged", {"tag": "vip"})
    event = Event.from_row(row)
    with pytest.raises(RuntimeError):
        async with unicrm_state.db.transaction() as session:
            assert await once(session, event, "test.effect")
            raise RuntimeError("the handler failed after claiming")
    async with unicrm_state.db.transaction() as session:
        assert await once(session, event, "test.effect")
        assert not await once(session, event, "test.effect")
        assert await once(session, event, "test.other_effect")
    async with unicrm_state.db.transaction() as session:
        assert not await once(session, event, "test.effect")
