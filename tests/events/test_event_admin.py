"""Dead letters are visible and retryable through GraphQL; bad retries change nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from events.support import Probe, probe_state
from unicrm.core.config import EventSettings
from unicrm.core.events.models import DeliveryStatus, EventDelivery
from unicrm.core.events.outbox import emit
from unicrm.core.graph.ids import to_global_id

LIST = """
query($filter: EventDeliveryFilterInput, $first: Int, $after: String) {
  eventDeliveries(filter: $filter, first: $first, after: $after) {
    nodes { id eventId eventType handler status attempts lastError nextAttemptAt }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""

RETRY = """
mutation($id: ID!) {
  eventDeliveryRetry(input: {id: $id}) {
    delivery { id status attempts }
    errors { field code message }
  }
}
"""


@pytest.fixture
async def dead(unicrm_state):
    """One event whose ``flaky`` delivery died after its only attempt."""
    probe = Probe(failures_left=1)
    state = probe_state(unicrm_state, probe)
    state.events.settings = EventSettings(max_attempts=1)
    async with state.db.transaction() as session:
        emit(session, "thing.happened")
    await state.events.dispatch_pending()
    return state, probe


async def test_dead_deliveries_are_listed_by_status_handler_and_event_type(gql, dead):
    result = (await gql(LIST, {"filter": {"status": "DEAD"}}))["data"]["eventDeliveries"]
    [node] = result["nodes"]
    assert node["handler"].endswith(".flaky")
    assert (node["status"], node["attempts"], node["eventType"]) == ("DEAD", 1, "thing.happened")
    assert "downstream unavailable" in node["lastError"]
    assert node["nextAttemptAt"] is None
    assert result["totalCount"] == 1

    by_handler = await gql(LIST, {"filter": {"handler": node["handler"]}})
    assert [n["id"] for n in by_handler["data"]["eventDeliveries"]["nodes"]] == [node["id"]]
    every = (await gql(LIST, {"filter": {"eventType": "thing.happened"}, "first": 1}))["data"]
    assert every["eventDeliveries"]["totalCount"] == 2
    assert every["eventDeliveries"]["pageInfo"]["hasNextPage"]
    rest = await gql(LIST, {"after": every["eventDeliveries"]["pageInfo"]["endCursor"]})
    assert len(rest["data"]["eventDeliveries"]["nodes"]) == 1
    none = await gql(LIST, {"filter": {"eventType": "other.thing"}})
    assert none["data"]["eventDeliveries"]["nodes"] == []


async def test_retrying_a_dead_delivery_delivers_it(gql, dead, unicrm_state):
    state, probe = dead
    [node] = (await gql(LIST, {"filter": {"status": "DEAD"}}))["data"]["eventDeliveries"]["nodes"]
    result = (await gql(RETRY, {"id": node["id"]}))["data"]["eventDeliveryRetry"]
    assert result["errors"] == []
    assert (result["delivery"]["status"], result["delivery"]["attempts"]) == ("PENDING", 0)
    await state.events.dispatch_pending()
    async with state.db.session() as session:
        row = await session.scalar(
            select(EventDelivery).where(EventDelivery.handler == node["handler"])
        )
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert probe.calls.count(("flaky", "thing.happened")) == 2


async def test_retry_rejects_bad_ids_and_delivered_deliveries(gql, dead):
    delivered = (await gql(LIST, {"filter": {"status": "DELIVERED"}}))["data"]
    [ok] = delivered["eventDeliveries"]["nodes"]
    for bad, code in (
        ("nope", "INVALID_ID"),
        (to_global_id("Customer", uuid.UUID(int=1)), "INVALID_ID"),
        (to_global_id("EventDelivery", uuid.UUID(int=1)), "NOT_FOUND"),
        (ok["id"], "ALREADY_DELIVERED"),
    ):
        result = (await gql(RETRY, {"id": bad}))["data"]["eventDeliveryRetry"]
        assert result["delivery"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("id", code)]
    statuses = (await gql(LIST))["data"]["eventDeliveries"]["nodes"]
    assert sorted(n["status"] for n in statuses) == ["DEAD", "DELIVERED"]


async def test_a_bad_status_filter_is_a_graphql_error(gql):
    result = await gql('query { eventDeliveries(filter: {status: "dead"}) { totalCount } }')
    assert result["errors"]
