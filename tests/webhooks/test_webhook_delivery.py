"""Webhook deliveries to a real receiver: signed, logged, retried, dead, disabled, replayed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import func, select

from unicrm.core.db.types import utcnow
from unicrm.core.events.dispatcher import dispatch_once
from unicrm.core.events.outbox import emit
from unicrm.core.graph.ids import to_global_id
from unicrm.core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from unicrm.core.webhooks.secrets import verify_signature

CREATE = """
mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {
    endpoint { id url eventTypes active }
    secret
    errors { field code message }
  }
}
"""

CUSTOMER = """
mutation { customerCreate(input: {kind: PERSON, firstName: "Somchai", lastName: "Jaidee"}) {
  customer { id } errors { code } } }
"""

DELIVERIES = """
query($filter: WebhookDeliveryFilterInput) {
  webhookDeliveries(filter: $filter) {
    nodes {
      id eventId eventType status attempts lastStatusCode lastError replayOf
      endpoint { id active failureCount disabledReason }
      log { statusCode latencyMs responseSnippet error }
    }
  }
}
"""

REPLAY = """
mutation($id: ID!) {
  webhookDeliveryReplay(input: {id: $id}) {
    delivery { id status replayOf eventId }
    errors { field code message }
  }
}
"""


async def register(gql, url: str, types: list[str]) -> tuple[str, str]:
    data = (await gql(CREATE, {"input": {"url": url, "eventTypes": types}}))["data"]
    payload = data["webhookEndpointCreate"]
    assert payload["errors"] == []
    return payload["endpoint"]["id"], payload["secret"]


async def deliveries(gql, **filter_) -> list[dict]:
    result = await gql(DELIVERIES, {"filter": filter_ or None})
    assert "errors" not in result, result
    return result["data"]["webhookDeliveries"]["nodes"]


async def test_event_is_posted_signed_to_a_subscribed_endpoint(
    gql, unicrm_state, receiver, hook_settings
):
    endpoint_id, secret = await register(gql, receiver.url, ["customer.*"])
    await register(gql, receiver.url.replace("/hook", "/orders"), ["order.placed"])
    created = (await gql(CUSTOMER))["data"]["customerCreate"]["customer"]
    await dispatch_once(unicrm_state)

    assert len(receiver.requests) == 1  # the order endpoint is not subscribed
    request = receiver.requests[0]
    assert verify_signature(secret, request.headers["unicrm-signature"], request.body)
    assert not verify_signature(secret, request.headers["unicrm-signature"], request.body + b" ")
    assert not verify_signature("whsec_other", request.headers["unicrm-signature"], request.body)
    body = orjson.loads(request.body)
    assert body["type"] == request.headers["unicrm-event"] == "customer.created"
    assert body["customer_id"] == created["id"]
    assert body["data"] == {"kind": "person"}
    assert request.headers["content-type"] == "application/json"

    [delivery] = await deliveries(gql)
    assert delivery["id"] == to_global_id(
        "WebhookDelivery", uuid.UUID(request.headers["unicrm-delivery"])
    )
    assert delivery["eventId"] == body["id"]
    assert (delivery["status"], delivery["attempts"], delivery["lastStatusCode"]) == (
        "DELIVERED",
        1,
        200,
    )
    assert delivery["endpoint"]["id"] == endpoint_id
    [attempt] = delivery["log"]
    assert (attempt["statusCode"], attempt["responseSnippet"], attempt["error"]) == (
        200,
        "thanks",
        None,
    )
    assert attempt["latencyMs"] >= 0
    await dispatch_once(unicrm_state)
    assert len(receiver.requests) == 1  # delivered once


async def test_a_receiver_that_times_out_is_retried_later(
    gql, unicrm_state, receiver, hook_settings
):
    hook_settings.timeout_seconds = 0.3
    receiver.delay = 1.0
    await register(gql, receiver.url, ["customer.created"])
    await gql(CUSTOMER)
    before = utcnow()
    await dispatch_once(unicrm_state)
    [delivery] = await deliveries(gql)
    assert (delivery["status"], delivery["attempts"]) == ("RETRYING", 1)
    assert delivery["lastError"] == "timed out after 0.3s"
    assert delivery["log"][0]["statusCode"] is None
    async with unicrm_state.db.session() as session:
        row = await session.scalar(select(WebhookDelivery))
    assert row.next_attempt_at >= before + timedelta(seconds=10)

    receiver.delay = 0
    await dispatch_once(unicrm_state)
    assert len(receiver.requests) == 1  # not due yet
    await dispatch_once(unicrm_state, now=utcnow() + timedelta(seconds=11))
    [delivery] = await deliveries(gql)
    assert (delivery["status"], delivery["attempts"]) == ("DELIVERED", 2)
    assert len(receiver.requests) == 2


async def test_failing_receiver_is_retried_then_dead_and_its_endpoint_disabled(
    gql, unicrm_state, receiver, hook_settings
):
    receiver.status = 500
    receiver.reply = "x" * 5000
    endpoint_id, _ = await register(gql, receiver.url, ["customer.created"])
    await gql(CUSTOMER)
    moment = utcnow()
    for step in range(4):
        await dispatch_once(unicrm_state, now=moment + timedelta(minutes=5 * step))
    assert len(receiver.requests) == 3
    [delivery] = await deliveries(gql, status="DEAD")
    assert (delivery["attempts"], delivery["lastStatusCode"]) == (3, 500)
    assert delivery["lastError"] == "HTTP 500"
    assert [len(a["responseSnippet"]) for a in delivery["log"]] == [1024] * 3
    endpoint = delivery["endpoint"]
    assert endpoint["id"] == endpoint_id
    assert endpoint["active"] is False
    assert endpoint["failureCount"] == 3
    assert "3 failed attempts in a row" in endpoint["disabledReason"]
    assert "HTTP 500" in endpoint["disabledReason"]

    await gql(CUSTOMER)  # a disabled endpoint gets no new deliveries
    await dispatch_once(unicrm_state, now=moment + timedelta(hours=1))
    assert len(await deliveries(gql)) == 1
    assert len(receiver.requests) == 3


async def test_replay_sends_the_event_again_as_a_new_delivery(
    gql, unicrm_state, receiver, hook_settings
):
    await register(gql, receiver.url, ["*"])
    await gql(CUSTOMER)
    await dispatch_once(unicrm_state)
    [original] = await deliveries(gql)
    replayed = (await gql(REPLAY, {"id": original["id"]}))["data"]["webhookDeliveryReplay"]
    assert replayed["errors"] == []
    assert replayed["delivery"]["replayOf"] == original["id"]
    assert replayed["delivery"]["status"] == "PENDING"
    await dispatch_once(unicrm_state)
    first, second = receiver.requests
    assert first.body == second.body  # the same event
    assert first.headers["unicrm-delivery"] != second.headers["unicrm-delivery"]
    statuses = {d["id"]: d["status"] for d in await deliveries(gql)}
    assert statuses == {original["id"]: "DELIVERED", replayed["delivery"]["id"]: "DELIVERED"}


async def test_delivery_refuses_a_target_that_now_resolves_to_a_private_address(
    gql, unicrm_state, receiver, hook_settings
):
    await register(gql, receiver.url, ["customer.created"])
    hook_settings.allow_private_targets = False  # as if DNS now answered with 127.0.0.1
    await gql(CUSTOMER)
    await dispatch_once(unicrm_state)
    assert receiver.requests == []
    [delivery] = await deliveries(gql)
    assert delivery["status"] == "RETRYING"
    assert delivery["lastError"].startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert delivery["log"][0]["statusCode"] is None


async def test_nothing_is_sent_for_a_rolled_back_transaction(
    gql, unicrm_state, receiver, hook_settings
):
    await register(gql, receiver.url, ["*"])
    with pytest.raises(RuntimeError):
        async with unicrm_state.db.transaction() as session:
            emit(session, "customer.tagged", {"tag": "vip"})
            raise RuntimeError("the change failed")
    await dispatch_once(unicrm_state)
    assert receiver.requests == []
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert await session.scalar(select(func.count()).select_from(WebhookAttempt)) == 0


async def test_the_secret_is_stored_encrypted(gql, unicrm_state, receiver, hook_settings):
    _, secret = await register(gql, receiver.url, ["*"])
    assert secret.startswith("whsec_")
    async with unicrm_state.db.session() as session:
        stored = await session.scalar(select(WebhookEndpoint.secret_encrypted))
    assert secret.encode() not in stored
