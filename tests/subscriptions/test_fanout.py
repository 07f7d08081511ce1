"""Fan-out across processes: two app instances on one database and one Redis; an event
committed through one reaches the subscribers of the other, authorized for each of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import redis

from subscriptions.support import live, ws_client
from unicrm.core.app import create_app
from unicrm.core.authz.store import load_policies
from unicrm.core.config import load_settings
from unicrm.core.events.fanout import Fanout, decode, encode
from unicrm.core.events.outbox import Event
from unicrm.core.state import AppState, create_state
from unicrm.core.testing.pytest_plugin import TEST_AUTH, sign_in_as
from unicrm.core.testing.servers import serve
from unicrm.schema.composer import build_schema

REDIS_URL = "redis://127.0.0.1:6379/0"
CREATE = """
mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } } }
"""
EVENTS = "subscription { customerEvents { type customer { id } } }"


@pytest.fixture(scope="session")
def redis_reachable() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable on {REDIS_URL}: {exc}")
    finally:
        client.close()


@pytest.fixture
def channel() -> str:
    """This test's channel: workers and runs share the Redis server."""
    return f"unicrm:test:subscriptions:{uuid.uuid4().hex}"


def process(unicrm_state: AppState, unicrm_plugins: dict[str, object], channel: str) -> AppState:
    """Another process's state on the test database, publishing through Redis."""
    settings = load_settings(
        database_url=unicrm_state.settings.database_url,
        plugins=list(unicrm_plugins),
        environment="test",
        auth=TEST_AUTH,
        redis_url=REDIS_URL,
        subscriptions={"channel": channel},
    )
    return create_state(settings, plugins=unicrm_plugins, schema_factory=build_schema)


@pytest_asyncio.fixture(loop_scope="session")
async def two_processes(
    unicrm_state: AppState, unicrm_plugins: dict[str, object], channel: str, redis_reachable: None
) -> AsyncIterator[tuple[AppState, AppState]]:
    states = (
        process(unicrm_state, unicrm_plugins, channel),
        process(unicrm_state, unicrm_plugins, channel),
    )
    yield states
    for state in states:
        await state.events.fanout.close()
        await state.db.dispose()


async def create(base: str, token: str, name: str) -> str:
    url = base.replace("ws://", "http://") + "/graphql"
    variables = {"input": {"kind": "PERSON", "firstName": name}}
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        body = (await http.post(url, json={"query": CREATE, "variables": variables})).json()
    return body["data"]["customerCreate"]["customer"]["id"]


async def test_a_mutation_on_one_process_reaches_subscribers_of_the_other(
    unicrm_state, two_processes
):
    one, other = two_processes
    admin = await sign_in_as(unicrm_state, "admin@unicrm.test", "admin")
    rep = await sign_in_as(unicrm_state, "rep@unicrm.test", "field_sales")
    for state in two_processes:
        await load_policies(state)
    async with (
        serve(create_app(state=one), scheme="ws") as first,
        serve(create_app(state=other), scheme="ws") as second,
        ws_client(second) as watcher,
        ws_client(second) as scoped,
    ):
        await watcher.init(admin)
        await scoped.init(rep)
        await watcher.subscribe("1", EVENTS)
        await scoped.subscribe("1", EVENTS)
        await live(other, 2)
        theirs = await create(first, admin, "Somchai")
        seen_by_admin = await watcher.receive()
        own = await create(first, rep, "Own")
        # The rep's first event is about its own customer: the admin's was not delivered.
        seen_by_rep = await scoped.receive()

    assert seen_by_admin["payload"]["data"]["customerEvents"] == {
        "type": "customer.created",
        "customer": {"id": theirs},
    }
    assert seen_by_rep["payload"]["data"]["customerEvents"] == {
        "type": "customer.created",
        "customer": {"id": own},
    }
    assert one.events.fanout.subscribers == 0  # nobody subscribed on the process that wrote


def event(type_: str = "customer.created") -> Event:
    return Event(uuid.uuid4(), type_, uuid.uuid4(), {"kind": "person"}, "admin", None)


async def test_an_event_survives_the_trip_through_redis_unchanged():
    sent = Event(uuid.uuid4(), "customer.updated", None, {"fields": ["email"]}, None, None)
    assert decode(encode(sent)) == sent


async def test_without_redis_subscribers_of_this_process_get_every_event():
    fanout = Fanout()
    async with fanout.subscribe() as first, fanout.subscribe() as second:
        published = [event(), event("order.placed")]
        await fanout.publish(published)
        got = [await anext(first), await anext(first), await anext(second), await anext(second)]
    assert got == published * 2
    assert fanout.subscribers == 0


async def test_a_full_subscription_loses_events_without_blocking_others():
    fanout = Fanout(queue_size=1)
    async with fanout.subscribe() as slow, fanout.subscribe() as fast:
        kept, lost = event(), event()
        await fanout.publish([kept])
        assert await anext(fast) == kept
        await fanout.publish([lost])
        assert await anext(fast) == lost
        assert await anext(slow) == kept
        assert slow.lost == 1


async def test_unreachable_redis_still_feeds_this_process(channel):
    fanout = Fanout("redis://127.0.0.1:1/0", channel)
    try:
        async with fanout.subscribe() as feed:
            published = event()
            await fanout.publish([published])
            assert await anext(feed) == published
    finally:
        await fanout.close()
