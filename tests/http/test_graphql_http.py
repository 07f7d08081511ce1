"""GraphQL over HTTP: methods, bodies, media types and status codes (the GraphQL-over-HTTP draft)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
from http_helpers import CREATE, count_customers, create_customer

from unicrm.core.app import create_app
from unicrm.core.testing.pytest_plugin import sign_in_as

GRAPHQL_RESPONSE = "application/graphql-response+json"
COUNT = "{ customers { totalCount } }"


def media_type(response) -> str:
    return response.headers["content-type"]


def code_of(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


async def test_post_json_query_returns_data(client, gql):
    await create_customer(gql, "Anan")
    response = await client.post("/graphql", json={"query": COUNT})
    assert response.status_code == 200
    assert response.json() == {"data": {"customers": {"totalCount": 1}}}
    assert media_type(response) == "application/json; charset=utf-8"


async def test_post_json_mutation_writes(client, unicrm_state):
    variables = {"input": {"kind": "PERSON", "firstName": "Boon"}}
    response = await client.post("/graphql", json={"query": CREATE, "variables": variables})
    assert response.status_code == 200
    payload = response.json()["data"]["customerCreate"]
    assert payload["errors"] == []
    assert payload["customer"]["displayName"] == "Boon"
    assert await count_customers(unicrm_state) == 1


async def test_get_query_reads_query_variables_and_operation_name(client, gql):
    await create_customer(gql, "Chai")
    document = """
        query Count { customers { totalCount } }
        query Names($first: Int) { customers(first: $first) { edges { node { displayName } } } }
    """
    params = {"query": document, "variables": json.dumps({"first": 1}), "operationName": "Names"}
    response = await client.get("/graphql", params=params)
    assert response.status_code == 200
    edges = response.json()["data"]["customers"]["edges"]
    assert edges == [{"node": {"displayName": "Chai"}}]


async def test_get_treats_empty_operation_name_and_variables_as_absent(client):
    params = {"query": COUNT, "operationName": "", "variables": ""}
    response = await client.get("/graphql", params=params)
    assert response.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_mutation_over_get_is_refused_with_405_and_writes_nothing(client, unicrm_state):
    variables = json.dumps({"input": {"kind": "PERSON", "firstName": "Dao"}})
    response = await client.get("/graphql", params={"query": CREATE, "variables": variables})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert code_of(response.json()) == "METHOD_NOT_ALLOWED"
    assert "data" not in response.json()
    assert await count_customers(unicrm_state) == 0


async def test_get_with_variables_that_are_not_json_is_a_bad_request(client):
    response = await client.get("/graphql", params={"query": COUNT, "variables": "{nope"})
    assert response.status_code == 400
    assert code_of(response.json()) == "BAD_REQUEST"


async def test_malformed_json_body_is_a_bad_request(client):
    response = await client.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "the body is not valid JSON"


async def test_empty_body_is_a_bad_request(client):
    response = await client.post("/graphql", headers={"content-type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("body", ['"{ __typename }"', "42", "null", "true"])
async def test_body_that_is_not_an_object_is_a_bad_request(client, body):
    response = await client.post(
        "/graphql", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert code_of(response.json()) == "BAD_REQUEST"


async def test_batched_requests_are_refused_with_a_clear_message(client, unicrm_state):
    batch = [{"query": COUNT}, {"query": CREATE, "variables": {"input": {"kind": "PERSON"}}}]
    response = await client.post("/graphql", json=batch)
    assert response.status_code == 400
    assert "batched requests are not supported" in response.json()["errors"][0]["message"]
    assert await count_customers(unicrm_state) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "the request has no query"),
        ({"qeury": COUNT}, "the request has no query"),
        ({"query": ""}, "the request has no query"),
        ({"query": {"obj": "ect"}}, "query must be a string"),
        ({"query": 0}, "query must be a string"),
        ({"query": COUNT, "variables": [7]}, "variables must be a JSON object"),
        ({"query": COUNT, "variables": "string"}, "variables must be a JSON object"),
        ({"query": COUNT, "operationName": 0}, "operationName must be a string"),
        ({"query": COUNT, "operationName": False}, "operationName must be a string"),
        ({"query": COUNT, "extensions": ["array"]}, "extensions must be a JSON object"),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_ill_formed_parameters_are_a_bad_request_whatever_the_media_type(
    client, body, message, accept
):
    response = await client.post("/graphql", json=body, headers={"accept": accept})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]
    }
    assert media_type(response) == f"{accept}; charset=utf-8"


@pytest.mark.parametrize("name", ["variables", "operationName", "extensions"])
async def test_null_optional_parameters_are_as_if_absent(client, name):
    response = await client.post("/graphql", json={"query": COUNT, name: None})
    assert response.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_extensions_object_is_accepted(client):
    response = await client.post("/graphql", json={"query": COUNT, "extensions": {"some": "x"}})
    assert response.json() == {"data": {"customers": {"totalCount": 0}}}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/graphql"]
)
async def test_wrong_content_type_is_unsupported_media_type(client, content_type):
    response = await client.post(
        "/graphql", content=json.dumps({"query": COUNT}), headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert code_of(response.json()) == "UNSUPPORTED_MEDIA_TYPE"


async def test_post_without_content_type_is_unsupported_media_type(client):
    response = await client.post("/graphql", content=json.dumps({"query": COUNT}))
    assert "content-type" not in response.request.headers
    assert response.status_code == 415


async def test_json_in_another_charset_is_unsupported_but_utf8_is_fine(client):
    body = json.dumps({"query": COUNT}).encode()
    latin = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json; charset=latin-1"}
    )
    utf8 = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json; charset=UTF-8"}
    )
    assert latin.status_code == 415
    assert utf8.status_code == 200


@pytest.fixture
def small_body_limit(unicrm_state, monkeypatch) -> int:
    monkeypatch.setattr(unicrm_state.settings.limits, "max_request_bytes", 2048)
    return 2048


def oversized_create() -> bytes:
    query = CREATE + "#" + "x" * 4096 + "\n"
    variables = {"input": {"kind": "PERSON", "firstName": "Ekk"}}
    return json.dumps({"query": query, "variables": variables}).encode()


async def test_body_over_the_limit_is_refused_from_its_length_and_nothing_runs(
    client, unicrm_state, small_body_limit
):
    response = await client.post(
        "/graphql", content=oversized_create(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert code_of(response.json()) == "REQUEST_TOO_LARGE"
    assert await count_customers(unicrm_state) == 0


async def test_streamed_body_over_the_limit_is_refused_while_reading(
    client, unicrm_state, small_body_limit
):
    body = oversized_create()
    read = []

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 512):
            read.append(start)
            yield body[start : start + 512]

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert await count_customers(unicrm_state) == 0


async def test_body_under_the_limit_runs(client, small_body_limit):
    response = await client.post("/graphql", json={"query": COUNT})
    assert response.status_code == 200


async def test_graphql_response_media_type_is_used_when_asked(client):
    response = await client.post(
        "/graphql", json={"query": COUNT}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert media_type(response) == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert response.json() == {"data": {"customers": {"totalCount": 0}}}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8, application/json; charset=utf-8", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", "application/json"),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, */*", "application/json"),
        ("text/html, application/*;q=0.8", "application/json"),
    ],
)
async def test_response_media_type_follows_accept(client, accept, expected):
    response = await client.post("/graphql", json={"query": COUNT}, headers={"accept": accept})
    assert response.status_code == 200
    assert media_type(response) == f"{expected}; charset=utf-8"


async def test_missing_accept_gets_the_graphql_response_media_type(client):
    request = client.build_request("POST", "/graphql", json={"query": COUNT})
    del request.headers["accept"]
    response = await client.send(request)
    assert media_type(response) == f"{GRAPHQL_RESPONSE}; charset=utf-8"


async def test_accept_without_a_json_type_is_not_acceptable(client):
    response = await client.post("/graphql", json={"query": COUNT}, headers={"accept": "text/xml"})
    assert response.status_code == 406
    assert code_of(response.json()) == "NOT_ACCEPTABLE"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ customers { ", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
        ('{ customers(first: "many") { totalCount } }', "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_request_errors_have_no_data_and_their_status_depends_on_media_type(
    client, query, code
):
    graphql = await client.post(
        "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE}
    )
    legacy = await client.post(
        "/graphql", json={"query": query}, headers={"accept": "application/json"}
    )
    assert (graphql.status_code, legacy.status_code) == (400, 200)
    for response in (graphql, legacy):
        assert "data" not in response.json()
        assert code_of(response.json()) == code


async def test_unknown_operation_name_is_a_request_error(client):
    response = await client.post(
        "/graphql",
        json={"query": "query A { __typename }", "operationName": "B"},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == 'Unknown operation named "B".'


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($first: Int) { customers(first: $first) { totalCount } }", {"first": "many"}),
        (CREATE, {"input": {"kind": "PERSON", "firstName": "Fah", "birthDate": "not-a-date"}}),
        (CREATE, {"input": {"kind": "PERSON", "firstName": "Fah", "birthDate": "2001-02-31"}}),
    ],
)
async def test_variables_that_cannot_be_coerced_are_a_client_error_and_write_nothing(
    client, unicrm_state, query, variables
):
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert code_of(body) == "GRAPHQL_VALIDATION_FAILED"
    assert await count_customers(unicrm_state) == 0


async def test_field_error_during_execution_is_200_with_data(client):
    response = await client.post(
        "/graphql",
        json={"query": '{ customer(id: "nope") { id } }'},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"customer": None}
    assert body["errors"][0]["path"] == ["customer"]
    assert code_of(body) == "BAD_REQUEST"


async def test_subscription_over_http_is_refused(client):
    response = await client.post("/graphql", json={"query": "subscription { ticks }"})
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_unknown_department_is_not_found(client):
    response = await client.post("/graphql/no-such-department", json={"query": COUNT})
    assert response.status_code == 404
    assert code_of(response.json()) == "NOT_FOUND"


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_graphiql_is_served_to_browsers_in_development(client_with):
    async with client_with(environment="development") as http:
        response = await http.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_graphiql_is_not_served_in_production(client_with):
    async with client_with(environment="production") as http:
        response = await http.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "graphiql" not in response.text.lower()


INTROSPECT = "{ __schema { queryType { name } } }"


async def test_introspection_is_refused_in_production(client_with):
    async with client_with(environment="production") as http:
        refused = await http.post("/graphql", json={"query": INTROSPECT})
        typename = await http.post("/graphql", json={"query": "{ __typename }"})
    assert "data" not in refused.json()
    assert code_of(refused.json()) == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in refused.json()["errors"][0]["message"].lower()
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_introspection_can_be_enabled_in_production(client_with):
    async with client_with(environment="production", introspection=True) as http:
        response = await http.post("/graphql", json={"query": INTROSPECT})
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_introspection_is_allowed_outside_production(client):
    response = await client.post("/graphql", json={"query": INTROSPECT})
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_a_client_hanging_up_mid_body_is_no_internal_error(unicrm_state, caplog):
    """A load balancer or a client closing the connection while sending its query gets a
    400 it will never read, and the server logs no error for it."""
    token = await sign_in_as(unicrm_state, "hangs-up@unicrm.test", "admin")
    app = create_app(state=unicrm_state)
    incoming = [
        {"type": "http.request", "body": b'{"query": "{ custo', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("unicrm.test", 80),
    }
    with caplog.at_level(logging.WARNING):
        await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["errors"][0]["extensions"]["code"] == "CLIENT_DISCONNECTED"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
