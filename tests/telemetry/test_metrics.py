"""Request and operation metrics, GraphQL error counts, and the registered gauges."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from opentelemetry.metrics import Observation

from unicrm.core.db.types import utcnow
from unicrm.core.events.models import OutboxEvent
from unicrm.core.telemetry import bind_gauges, gauge, unbind_gauges
from unicrm.core.telemetry.metrics import (
    GRAPHQL_ERRORS,
    HTTP_DURATION,
    OPERATION_DURATION,
    registered_gauges,
)
from unicrm.core.telemetry.outbox import OUTBOX_LAG

NAMED = "query Hello { __typename }"


def _by_attributes(points):
    return {tuple(sorted(p.attributes.items())): p for p in points}


async def test_requests_and_operations_are_measured_per_route_and_operation(client, telemetry):
    for _ in range(3):
        assert (await client.post("/graphql", json={"query": NAMED})).status_code == 200
    assert (await client.get("/healthz")).status_code == 200

    http = _by_attributes(telemetry.points(HTTP_DURATION))
    graphql_post = http[
        (
            ("http.request.method", "POST"),
            ("http.response.status_code", 200),
            ("http.route", "/graphql"),
        )
    ]
    assert graphql_post.count == 3
    assert graphql_post.sum > 0
    health = http[
        (
            ("http.request.method", "GET"),
            ("http.response.status_code", 200),
            ("http.route", "/healthz"),
        )
    ]
    assert health.count == 1

    (operation,) = telemetry.points(OPERATION_DURATION)
    assert dict(operation.attributes) == {
        "graphql.operation.name": "Hello",
        "graphql.operation.type": "query",
    }
    assert operation.count == 3


async def test_graphql_errors_are_counted_by_code(client, telemetry, unicrm_state):
    await client.post("/graphql", json={"query": "query Broken { noSuchField }"})
    await client.post("/graphql", json={"query": "query Broken { noSuchField }"})
    await client.post("/graphql", json={"query": "{ customer(id: 1"})
    errors = _by_attributes(telemetry.points(GRAPHQL_ERRORS))
    broken = errors[
        (
            ("error.code", "GRAPHQL_VALIDATION_FAILED"),
            ("graphql.operation.name", "Broken"),
            ("graphql.operation.type", "query"),
        )
    ]
    assert broken.value == 2
    unparsable = errors[
        (
            ("error.code", "GRAPHQL_PARSE_FAILED"),
            ("graphql.operation.name", ""),
            ("graphql.operation.type", ""),
        )
    ]
    assert unparsable.value == 1


async def test_no_errors_means_no_error_points(client, telemetry):
    await client.post("/graphql", json={"query": NAMED})
    assert telemetry.points(GRAPHQL_ERRORS) == []


def test_outbox_lag_gauge_is_registered():
    assert OUTBOX_LAG in registered_gauges()


async def test_outbox_lag_is_the_age_of_the_oldest_pending_event(unicrm_state, telemetry):
    bind_gauges(unicrm_state.db)
    try:
        # Collection happens off the event loop (the exporter's thread); the probe runs on it.
        (empty,) = await asyncio.to_thread(telemetry.points, OUTBOX_LAG)
        assert empty.value == 0
        async with unicrm_state.db.transaction() as session:
            session.add(
                OutboxEvent(type="customer.created", created_at=utcnow() - timedelta(minutes=5))
            )
            session.add(
                OutboxEvent(
                    type="customer.updated",
                    created_at=utcnow() - timedelta(days=2),
                    dispatched_at=utcnow(),
                )
            )
        (lag,) = await asyncio.to_thread(telemetry.points, OUTBOX_LAG)
        assert 300 <= lag.value < 360  # the dispatched older event does not count
    finally:
        unbind_gauges()


async def test_gauges_report_nothing_until_bound_to_a_database(telemetry):
    assert await asyncio.to_thread(telemetry.points, OUTBOX_LAG) == []


@gauge("test.queue_depth", unit="{job}", description="Jobs waiting.")
async def queue_depth(db):
    return [Observation(4, {"queue": "default"}), Observation(1, {"queue": "email"})]


@gauge("test.broken")
async def broken(db):
    raise RuntimeError("database gone")


async def test_registered_gauge_publishes_observations_with_attributes(unicrm_state, telemetry):
    name = "test.queue_depth"
    bind_gauges(unicrm_state.db)
    try:
        points = await asyncio.to_thread(telemetry.points, name)
    finally:
        unbind_gauges()
    assert {p.attributes["queue"]: p.value for p in points} == {"default": 4, "email": 1}


def test_a_gauge_name_is_registered_once():
    async def other(db):
        return 2.0

    assert gauge("test.queue_depth")(queue_depth) is queue_depth  # the same probe again: fine
    with pytest.raises(ValueError, match="already registered"):
        gauge("test.queue_depth")(other)


async def test_a_failing_probe_reports_nothing_and_spares_the_others(unicrm_state, telemetry):
    bind_gauges(unicrm_state.db)
    try:
        assert await asyncio.to_thread(telemetry.points, "test.broken") == []
        assert len(await asyncio.to_thread(telemetry.points, OUTBOX_LAG)) == 1
    finally:
        unbind_gauges()
