"""Spans of a GraphQL request: HTTP, then the operation, then its SQL statements."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.responses import PlainTextResponse

from unicrm.core.telemetry.asgi import TelemetryMiddleware
from unicrm.core.telemetry.tracing import tracer

CREATE = """
mutation CreateCustomer($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { field code message } }
}
"""
SECRET_NAME = "Wanchai-Secret-Person"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


def _values(span: ReadableSpan) -> str:
    return " ".join(str(v) for v in (span.attributes or {}).values()) + " " + span.name


def _ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_mutation_over_http_nests_sql_under_operation_under_request(client, telemetry):
    variables = {"input": {"kind": "PERSON", "firstName": SECRET_NAME}}
    response = await client.post("/graphql", json={"query": CREATE, "variables": variables})
    assert response.status_code == 200
    assert response.json()["data"]["customerCreate"]["errors"] == []

    http = telemetry.named("POST /graphql")
    assert http.kind is SpanKind.SERVER
    assert http.attributes["http.route"] == "/graphql"
    assert http.attributes["http.response.status_code"] == 200
    assert http.attributes["graphql.operation.name"] == "CreateCustomer"

    operation = telemetry.named("mutation CreateCustomer")
    assert operation.parent.span_id == http.context.span_id
    assert operation.attributes["graphql.operation.type"] == "mutation"
    assert operation.attributes["unicrm.graphql.error_count"] == 0
    assert operation.attributes["unicrm.department"] == "default"
    assert len(operation.attributes["graphql.document.hash"]) == 64

    by_id = {s.context.span_id: s for s in telemetry.spans()}
    sql = [s for s in telemetry.spans() if s.kind is SpanKind.CLIENT]
    insert = next(s for s in sql if "INSERT INTO customer " in s.attributes["db.query.text"])
    assert insert.name == "INSERT"
    assert _ancestors(insert, by_id) == ["mutation CreateCustomer", "POST /graphql"]
    for statement in sql:  # the department lookup runs before the operation, in the request
        assert statement.context.trace_id == http.context.trace_id
        assert statement.attributes["db.system.name"] in ("sqlite", "postgresql")
    # The domain event the mutation emits is dispatched inside the same trace.
    assert any("outbox_event" in s.attributes["db.query.text"] for s in sql)


async def test_no_span_carries_variables_or_query_literals(client, telemetry):
    inline = CREATE.replace("$input: CustomerCreateInput!", "").replace(
        "(input: $input)", f'(input: {{kind: PERSON, firstName: "{SECRET_NAME}"}})'
    )
    inline = inline.replace("CreateCustomer()", "CreateCustomer")
    for body in (
        {"query": CREATE, "variables": {"input": {"kind": "PERSON", "firstName": SECRET_NAME}}},
        {"query": inline},
    ):
        response = await client.post("/graphql", json=body)
        assert response.json()["data"]["customerCreate"]["errors"] == []
    spans = telemetry.spans()
    assert len([s for s in spans if s.name == "mutation CreateCustomer"]) == 2
    for recorded in spans:
        assert SECRET_NAME not in _values(recorded)
        assert "customerCreate" not in _values(recorded)  # the document text is never recorded


async def test_incoming_traceparent_makes_the_request_a_child_of_the_caller(client, telemetry):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"traceparent": TRACEPARENT}
    )
    assert response.status_code == 200
    http = telemetry.named("POST /graphql")
    assert format(http.context.trace_id, "032x") == TRACE_ID
    assert format(http.parent.span_id, "016x") == PARENT_SPAN_ID
    assert http.parent.is_remote
    operation = telemetry.named("query")
    assert operation.context.trace_id == http.context.trace_id


async def test_a_malformed_traceparent_starts_a_new_trace(client, telemetry):
    await client.post("/graphql", json={"query": "{ __typename }"}, headers={"traceparent": "x"})
    http = telemetry.named("POST /graphql")
    assert http.parent is None


async def test_failed_operation_counts_its_errors(client, telemetry):
    response = await client.post(
        "/graphql",
        json={"query": "query Broken { noSuchField }"},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    operation = telemetry.named("query Broken")
    assert operation.attributes["unicrm.graphql.error_count"] == 1
    assert operation.attributes["unicrm.graphql.error_codes"] == ("GRAPHQL_VALIDATION_FAILED",)
    assert telemetry.named("POST /graphql").attributes["http.response.status_code"] == 400


async def test_tracing_off_makes_no_spans_in_a_request():
    """Telemetry off: the middleware adds no span, only the API's no-op current span."""
    seen = []

    async def inner(scope, receive, send):
        seen.append(trace.get_current_span())
        await PlainTextResponse("ok")(scope, receive, send)

    assert tracer() is None
    transport = httpx.ASGITransport(app=TelemetryMiddleware(inner))
    async with httpx.AsyncClient(transport=transport, base_url="http://unicrm.test") as http:
        response = await http.get("/anything", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200
    assert seen == [trace.INVALID_SPAN]


async def test_a_syntax_error_does_not_put_the_document_in_the_span(client, telemetry):
    broken = f'mutation Leak {{ customerCreate(input: {{firstName: "{SECRET_NAME}"'
    await client.post("/graphql", json={"query": broken})
    operation = telemetry.named("graphql")
    assert operation.attributes["error.type"] == "GraphQLSyntaxError"
    assert operation.attributes["unicrm.graphql.error_codes"] == ("GRAPHQL_PARSE_FAILED",)
    for recorded in telemetry.spans():
        assert SECRET_NAME not in _values(recorded) + str(recorded.status.description)
        assert recorded.events == ()


async def test_a_failing_statement_marks_its_span_without_the_values(unicrm_state, telemetry):
    with pytest.raises(DBAPIError):
        async with unicrm_state.db.session() as session:
            await session.execute(
                text("SELECT id FROM no_such_table WHERE name = :name"), {"name": SECRET_NAME}
            )
    (failed,) = [s for s in telemetry.spans() if "no_such_table" in _values(s)]
    assert failed.attributes["error.type"]
    assert not failed.status.is_ok
    assert SECRET_NAME not in _values(failed) + str(failed.status.description)
    assert failed.events == ()
