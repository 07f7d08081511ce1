"""Unexpected failures reach clients as "Internal server error" with an id, never a traceback."""

from __future__ import annotations

import logging
import uuid

from unicrm.core.errors import DomainError
from unicrm.core.graph.customers import services
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id

SECRET = "boom in SELECT password FROM app_user"


def explode(*args, **kwargs):
    raise RuntimeError(SECRET)


async def test_unexpected_resolver_exception_is_masked_and_logged_with_its_id(
    client, monkeypatch, caplog
):
    monkeypatch.setattr(services, "filtered", explode)
    with caplog.at_level(logging.ERROR, logger="unicrm.graphql"):
        response = await client.post("/graphql", json={"query": "{ customers { totalCount } }"})

    assert response.status_code == 200
    body = response.json()
    error = body["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["path"] == ["customers"]
    assert error["extensions"]["code"] == "INTERNAL"
    error_id = error["extensions"]["errorId"]
    assert error_id
    assert set(error["extensions"]) == {"code", "errorId"}
    for leak in ("boom", "SELECT", "Traceback", "RuntimeError", "password"):
        assert leak not in response.text

    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert logged[0].exc_info[0] is RuntimeError
    assert SECRET in caplog.text
    assert "Traceback" in caplog.text


async def test_each_unexpected_error_gets_its_own_id(client, monkeypatch):
    monkeypatch.setattr(Customer, "load_node", classmethod(explode))
    query = "query($id: ID!) { a: customer(id: $id) { id } b: customer(id: $id) { id } }"
    variables = {"id": to_global_id("Customer", uuid.uuid4())}
    body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
    assert body["data"] == {"a": None, "b": None}
    ids = {e["extensions"]["errorId"] for e in body["errors"]}
    assert len(ids) == 2


async def test_failure_outside_graphql_is_a_json_500_without_details(
    client, unicrm_state, monkeypatch, caplog
):
    async def unreachable(slug):
        raise OSError(SECRET)

    monkeypatch.setattr(unicrm_state.departments, "get", unreachable)
    with caplog.at_level(logging.ERROR, logger="unicrm.http"):
        response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 500
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL"
    assert "boom" not in response.text
    assert error["extensions"]["errorId"] in caplog.text


async def test_domain_error_escaping_a_query_resolver_is_a_bad_request(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise DomainError.single("INVALID", "owner is not a user", "owner_id")

    monkeypatch.setattr(services, "filtered", refuse)
    body = (await client.post("/graphql", json={"query": "{ customers { totalCount } }"})).json()
    error = body["errors"][0]
    assert (error["message"], error["extensions"]) == (
        "owner is not a user",
        {"code": "BAD_REQUEST"},
    )
