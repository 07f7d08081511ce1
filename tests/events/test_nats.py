"""The NATS JetStream sink against the real server on 127.0.0.1:4222: each event is stored in
the stream once, with its id and trace context, retried while NATS is down, dead-lettered."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import nats
import orjson
import pytest_asyncio
from nats.js import JetStreamContext
from sqlalchemy import select, update

from unicrm.core.config import EventSettings, NatsSettings
from unicrm.core.db.types import utcnow
from unicrm.core.events.bus import EventBus
from unicrm.core.events.dispatcher import dispatch_once
from unicrm.core.events.jetstream import TARGET
from unicrm.core.events.models import DeliveryStatus, EventDelivery, OutboxEvent
from unicrm.core.events.outbox import emit
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.telemetry import use_traceparent

NATS_URL = "nats://127.0.0.1:4222"
DOWN_URL = "nats://127.0.0.1:4299"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

CUSTOMER = """
mutation { customerCreate(input: {kind: PERSON, firstName: "Somchai", lastName: "Jaidee"}) {
  customer { id } errors { code } } }
"""

DELIVERIES = """
query($filter: EventDeliveryFilterInput) {
  eventDeliveries(filter: $filter) { nodes { id handler status attempts lastError } }
}
"""

RETRY = """
mutation($id: ID!) {
  eventDeliveryRetry(input: {id: $id}) { delivery { status } errors { code } }
}
"""


class Nats:
    """A unique stream and subject prefix for one test, and a way to read what it holds."""

    def __init__(self, js: JetStreamContext) -> None:
        suffix = uuid.uuid4().hex[:12]
        self.js = js
        self.settings = NatsSettings(
            url=NATS_URL, subject_prefix=f"test{suffix}", stream=f"TEST_{suffix}", max_msgs=1000
        )

    def events(self, bus: EventBus, url: str = NATS_URL, max_attempts: int = 3) -> None:
        bus.settings = EventSettings(
            max_attempts=max_attempts,
            backoff_base_seconds=10,
            backoff_max_seconds=60,
            nats=self.settings.model_copy(update={"url": url}),
        )

    async def messages(self) -> list:
        try:
            info = await self.js.stream_info(self.settings.stream)
        except nats.js.errors.NotFoundError:
            return []
        first, last = info.state.first_seq, info.state.last_seq
        return [await self.js.get_msg(self.settings.stream, seq) for seq in range(first, last + 1)]


@pytest_asyncio.fixture
async def jetstream(unicrm_state) -> AsyncIterator[Nats]:
    client = await nats.connect(NATS_URL)
    found = Nats(client.jetstream())
    bus = unicrm_state.events
    before = bus.settings
    found.events(bus)
    try:
        yield found
    finally:
        await bus.close()
        bus.settings = before
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await found.js.delete_stream(found.settings.stream)
        await client.close()


async def _sink_delivery(state) -> EventDelivery:
    async with state.db.session() as session:
        return await session.scalar(select(EventDelivery).where(EventDelivery.handler == TARGET))


async def test_event_of_a_mutation_is_in_the_stream_once_even_when_redelivered(
    gql, unicrm_state, jetstream
):
    result = await gql(CUSTOMER)
    assert result["data"]["customerCreate"]["errors"] == []
    assert await jetstream.messages() == []  # the request did not wait for NATS
    await dispatch_once(unicrm_state)
    [message] = await jetstream.messages()
    async with unicrm_state.db.session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "customer.created")
        )
    assert message.subject == f"{jetstream.settings.subject_prefix}.customer.created"
    assert message.headers["Nats-Msg-Id"] == str(event.id)
    body = orjson.loads(message.data)
    assert (body["id"], body["type"]) == (str(event.id), "customer.created")
    assert body["customer_id"] == result["data"]["customerCreate"]["customer"]["id"]
    assert (await _sink_delivery(unicrm_state)).status is DeliveryStatus.DELIVERED

    # A process that published but died before marking the delivery: it runs again.
    async with unicrm_state.db.transaction() as session:
        await session.execute(
            update(EventDelivery)
            .where(EventDelivery.handler == TARGET)
            .values(status=DeliveryStatus.RETRYING, next_attempt_at=utcnow())
        )
    assert await unicrm_state.events.dispatch_pending() >= 1
    assert (await _sink_delivery(unicrm_state)).status is DeliveryStatus.DELIVERED
    assert len(await jetstream.messages()) == 1  # JetStream dropped the duplicate


async def test_message_carries_the_trace_of_the_change_that_emitted_it(unicrm_state, jetstream):
    with use_traceparent(TRACEPARENT):
        async with unicrm_state.db.transaction() as session:
            row = emit(session, "thing.happened", {"n": 1})
    await unicrm_state.events.dispatch_pending()
    [message] = await jetstream.messages()
    assert message.subject == f"{jetstream.settings.subject_prefix}.thing.happened"
    assert message.headers["Nats-Msg-Id"] == str(row.id)
    assert message.headers["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]


async def test_unreachable_nats_is_retried_until_it_is_back(unicrm_state, jetstream):
    bus = unicrm_state.events
    jetstream.events(bus, url=DOWN_URL)
    async with unicrm_state.db.transaction() as session:
        emit(session, "thing.happened", {"n": 1})
    assert await bus.dispatch_pending() == 0  # fails within the timeout, does not hang
    delivery = await _sink_delivery(unicrm_state)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
    assert "NATS" in delivery.last_error
    assert await jetstream.messages() == []

    jetstream.events(bus)  # the server is reachable again
    assert await bus.dispatch_pending() == 0  # not due yet
    assert await bus.dispatch_pending(now=utcnow() + timedelta(seconds=11)) == 1
    delivery = await _sink_delivery(unicrm_state)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(await jetstream.messages()) == 1


async def test_delivery_is_dead_after_max_attempts_and_an_admin_retry_publishes_it(
    gql, unicrm_state, jetstream
):
    bus = unicrm_state.events
    jetstream.events(bus, url=DOWN_URL, max_attempts=2)
    async with unicrm_state.db.transaction() as session:
        emit(session, "thing.happened", {"n": 1})
    await bus.dispatch_pending()
    await bus.dispatch_pending(now=utcnow() + timedelta(seconds=11))

    result = await gql(DELIVERIES, {"filter": {"status": "DEAD", "handler": TARGET}})
    [node] = result["data"]["eventDeliveries"]["nodes"]
    assert (node["handler"], node["attempts"]) == (TARGET, 2)
    assert "NATS" in node["lastError"]
    assert await jetstream.messages() == []

    jetstream.events(bus)
    retried = (await gql(RETRY, {"id": node["id"]}))["data"]["eventDeliveryRetry"]
    assert retried["errors"] == []
    await bus.dispatch_pending()
    assert (await _sink_delivery(unicrm_state)).status is DeliveryStatus.DELIVERED
    assert len(await jetstream.messages()) == 1


async def test_stream_is_created_at_start_and_updated_to_the_settings(unicrm_state, jetstream):
    bus = unicrm_state.events
    await bus.start()
    info = await jetstream.js.stream_info(jetstream.settings.stream)
    assert info.config.subjects == [f"{jetstream.settings.subject_prefix}.>"]
    assert info.config.max_msgs == 1000

    jetstream.settings = jetstream.settings.model_copy(update={"max_msgs": 50})
    jetstream.events(bus)
    await bus.start()
    info = await jetstream.js.stream_info(jetstream.settings.stream)
    assert info.config.max_msgs == 50


async def test_without_a_url_no_sink_delivery_is_made(unicrm_state, jetstream):
    bus = unicrm_state.events
    bus.settings = EventSettings()
    async with unicrm_state.db.transaction() as session:
        emit(session, "thing.happened", {"n": 1})
    await bus.dispatch_pending()
    assert await _sink_delivery(unicrm_state) is None


async def happened(jetstream: Nats) -> list[str]:
    """The ids of the ``thing.happened`` messages in the stream, in stream order."""
    subject = f"{jetstream.settings.subject_prefix}.thing.happened"
    return [m.headers["Nats-Msg-Id"] for m in await jetstream.messages() if m.subject == subject]


async def test_each_customer_s_events_reach_the_stream_in_order(unicrm_state, jetstream):
    bus = unicrm_state.events
    async with unicrm_state.db.transaction() as session:
        first = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="A")
        )
        other = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="B")
        )
    async with unicrm_state.db.transaction() as session:
        one = emit(session, "thing.happened", {"n": 1}, customer_id=first.id)
        two = emit(session, "thing.happened", {"n": 2}, customer_id=first.id)
        elsewhere = emit(session, "thing.happened", {"n": 3}, customer_id=other.id)
    while await bus.fan_out():
        pass
    async with unicrm_state.db.transaction() as session:  # the first event's publish failed
        await session.execute(
            update(EventDelivery)
            .where(EventDelivery.handler == TARGET, EventDelivery.event_id == one.id)
            .values(status=DeliveryStatus.RETRYING, next_attempt_at=utcnow() + timedelta(hours=1))
        )

    await bus.deliver_due()
    held = await happened(jetstream)
    await bus.deliver_due(now=utcnow() + timedelta(hours=2))
    published = await happened(jetstream)

    assert held == [str(elsewhere.id)]  # the second event of A waits for the first
    assert published == [str(elsewhere.id), str(one.id), str(two.id)]
