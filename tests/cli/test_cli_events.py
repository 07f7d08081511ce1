"""``unicrm events list|retry``: dead letters from the command line."""

from __future__ import annotations

import asyncio
import uuid

from events.support import Probe, probe_plugin
from sqlalchemy import select

from cli.support import ok, one_line_error
from unicrm.core.config import EventSettings, load_settings
from unicrm.core.events.models import DeliveryStatus, EventDelivery
from unicrm.core.events.outbox import emit
from unicrm.core.graph.ids import to_global_id
from unicrm.core.state import create_state


def _dead_delivery() -> uuid.UUID:
    """Emit one event whose failing handler dies on its only attempt; its delivery id."""

    async def go() -> uuid.UUID:
        state = create_state(
            load_settings(), plugins={"probe": probe_plugin(Probe(failures_left=1))}
        )
        state.events.settings = EventSettings(max_attempts=1)
        try:
            async with state.db.transaction() as session:
                emit(session, "thing.happened")
            await state.events.dispatch_pending()
            async with state.db.session() as session:
                return await session.scalar(
                    select(EventDelivery.id).where(EventDelivery.status == DeliveryStatus.DEAD)
                )
        finally:
            await state.db.dispose()

    return asyncio.run(go())


def _status(delivery_id: uuid.UUID) -> DeliveryStatus:
    async def go() -> DeliveryStatus:
        state = create_state(load_settings(), plugins={})
        try:
            async with state.db.session() as session:
                return (await session.get_one(EventDelivery, delivery_id)).status
        finally:
            await state.db.dispose()

    return asyncio.run(go())


def test_events_list_shows_dead_letters_and_retry_makes_them_due(unicrm, migrated):
    dead = _dead_delivery()
    shown = to_global_id("EventDelivery", dead)
    listed = ok(unicrm("events", "list", "--status", "dead"))
    assert shown in listed
    assert "downstream unavailable" in listed
    assert shown not in ok(unicrm("events", "list", "--status", "delivered"))
    assert "flaky" not in ok(unicrm("events", "list", "--event-type", "other.thing"))

    assert "is due now" in ok(unicrm("events", "retry", shown))
    assert _status(dead) is DeliveryStatus.PENDING
    assert "is due now" in ok(unicrm("events", "retry", str(dead)))  # a plain uuid works too


def test_events_commands_reject_bad_input_and_change_nothing(unicrm, migrated):
    dead = _dead_delivery()
    assert "unknown status 'buried'" in one_line_error(
        unicrm("events", "list", "--status", "buried")
    )
    assert "not the id of an event delivery" in one_line_error(unicrm("events", "retry", "nope"))
    customer = to_global_id("Customer", uuid.UUID(int=1))
    assert "not the id of an event delivery" in one_line_error(unicrm("events", "retry", customer))
    missing = to_global_id("EventDelivery", uuid.UUID(int=1))
    assert "no such event delivery" in one_line_error(unicrm("events", "retry", missing))
    assert _status(dead) is DeliveryStatus.DEAD
