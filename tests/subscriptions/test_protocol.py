"""Malformed and refused graphql-transport-ws traffic: the protocol's close codes or typed
``error`` messages, and the server keeps serving."""

from __future__ import annotations

import pytest

from subscriptions.support import live, ws_client
from unicrm.core.testing.pytest_plugin import sign_in_as

EVENTS = "subscription { customerEvents { type } }"


@pytest.fixture
async def token(unicrm_state) -> str:
    return await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")


async def still_serving(server: str, token: str) -> None:
    async with ws_client(server) as ws:
        assert (await ws.init(token))["type"] == "connection_ack"
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        '"subscribe"',
        '{"type": "no_such_type"}',
        '{"payload": {}}',
        '{"id": "1", "type": "subscribe", "payload": {"variables": {}}}',
        '{"id": 7, "type": "subscribe", "payload": {"query": "subscription { x }"}}',
    ],
)
async def test_a_malformed_message_closes_with_4400_and_the_server_stays_up(server, token, message):
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.send(message)
        assert await ws.closed_with() == 4400
    await still_serving(server, token)


async def test_subscribing_before_connection_init_closes_with_4401(server):
    async with ws_client(server) as ws:
        await ws.subscribe("1", EVENTS)
        assert await ws.closed_with() == 4401


async def test_a_second_connection_init_closes_with_4429(server, token):
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.send({"type": "connection_init", "payload": {}})
        assert await ws.closed_with() == 4429


async def test_a_duplicate_subscription_id_closes_with_4409(server, token, unicrm_state):
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", EVENTS)
        await live(unicrm_state, 1)
        await ws.subscribe("1", EVENTS)
        assert await ws.closed_with() == 4409


@pytest.mark.parametrize(
    ("query", "extra", "code"),
    [
        ("subscription {", {}, "GRAPHQL_PARSE_FAILED"),
        ("subscription { noSuchField }", {}, "GRAPHQL_VALIDATION_FAILED"),
        (EVENTS, {"operationName": "Missing"}, "BAD_REQUEST"),
        (
            "subscription A { customerEvents { type } } subscription B { domainEvents { type } }",
            {},
            "BAD_REQUEST",
        ),
        ("{ viewer { kind } }", {}, "BAD_REQUEST"),
        ('subscription { customerEvents(customerId: "nope") { type } }', {}, "BAD_REQUEST"),
        ('subscription { domainEvents(types: ["Not A Type"]) { type } }', {}, "BAD_REQUEST"),
        (
            "subscription($t: [String!]) { domainEvents(types: $t) { type } }",
            {"variables": {"t": 5}},
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ],
)
async def test_a_bad_operation_gets_a_typed_error_and_the_connection_stays_open(
    server, token, unicrm_state, query, extra, code
):
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.send({"id": "bad", "type": "subscribe", "payload": {"query": query, **extra}})
        error = await ws.receive()
        await ws.send({"type": "ping"})
        pong = await ws.receive()
    assert error["id"] == "bad" and error["type"] == "error"
    assert error["payload"][0]["extensions"]["code"] == code
    assert pong == {"type": "pong"}
    assert unicrm_state.events.fanout.subscribers == 0


async def test_too_many_subscriptions_on_one_connection(server, token, unicrm_state, monkeypatch):
    monkeypatch.setattr(unicrm_state.settings.subscriptions, "max_per_connection", 2)
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", EVENTS)
        await ws.subscribe("2", EVENTS)
        await live(unicrm_state, 2)
        await ws.subscribe("3", EVENTS)
        refused = await ws.receive()
        # Completing one frees its place.
        await ws.send({"id": "1", "type": "complete"})
        await live(unicrm_state, 1)
        await ws.subscribe("4", EVENTS)
        await live(unicrm_state, 2)
    assert refused["id"] == "3" and refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"


async def test_too_many_subscriptions_of_one_user_across_connections(
    server, token, unicrm_state, monkeypatch
):
    monkeypatch.setattr(unicrm_state.settings.subscriptions, "max_per_actor", 1)
    async with ws_client(server) as first:
        await first.init(token)
        await first.subscribe("1", EVENTS)
        await live(unicrm_state, 1)
        async with ws_client(server) as second:
            await second.init(token)
            await second.subscribe("1", EVENTS)
            refused = await second.receive()
    assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
    await live(unicrm_state, 0)
    async with ws_client(server) as again:  # the closed connections gave their places back
        await again.init(token)
        await again.subscribe("1", EVENTS)
        await live(unicrm_state, 1)


async def test_no_connection_init_in_time_closes_with_4408(server, unicrm_state, monkeypatch):
    settings = unicrm_state.settings.subscriptions
    monkeypatch.setattr(settings, "connection_init_timeout_seconds", 0.2)
    async with ws_client(server) as ws:
        assert await ws.closed_with() == 4408


async def test_the_server_pings_to_keep_the_connection_alive(
    server, token, unicrm_state, monkeypatch
):
    monkeypatch.setattr(unicrm_state.settings.subscriptions, "keepalive_seconds", 0.05)
    async with ws_client(server) as ws:
        await ws.init(token)
        ping = await ws.ws.recv()
    assert ping == '{"type":"ping"}'


async def test_a_disallowed_origin_is_refused_at_the_handshake(server):
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        async with ws_client(server, headers={"Origin": "https://evil.example"}):
            pass
    assert refused.value.response.status_code == 403


async def test_the_servers_own_origin_is_accepted(server, token):
    origin = server.replace("ws://", "http://")
    async with ws_client(server, headers={"Origin": origin}) as ws:
        assert (await ws.init(token))["type"] == "connection_ack"


async def test_a_failing_subscription_ends_with_internal_and_the_connection_stays_open(
    server, token, client, unicrm_state, monkeypatch
):
    from unicrm.core.graph.subscriptions import services

    def broken(event, patterns):
        raise RuntimeError("a bug in a subscription")

    monkeypatch.setattr(services, "selected", broken)
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", "subscription { domainEvents { type } }")
        await live(unicrm_state, 1)
        await client.post(
            "/graphql",
            json={
                "query": "mutation($i: CustomerCreateInput!) { customerCreate(input: $i) { errors { code } } }",
                "variables": {"i": {"kind": "PERSON", "firstName": "Boom"}},
            },
        )
        failed = await ws.receive()
        await ws.send({"type": "ping"})
        pong = await ws.receive()
    assert failed["id"] == "1" and failed["type"] == "error"
    assert failed["payload"][0]["message"] == "Internal server error"
    assert failed["payload"][0]["extensions"]["code"] == "INTERNAL"
    assert pong == {"type": "pong"}
