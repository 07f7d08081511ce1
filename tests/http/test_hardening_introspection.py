"""Introspection and GraphiQL stay off in production on every department's endpoint."""

from __future__ import annotations

import pytest
from plugins.support import add_department

INTROSPECT = "{ __schema { queryType { name } } }"
TYPE_QUERY = '{ __type(name: "Customer") { name } }'
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# A department with its own limits has its own validation rules: they must refuse too.
SALES_LIMITS = {"sales": {"max_depth": 6}}


@pytest.fixture
async def sales(unicrm_state):
    await add_department(unicrm_state, "sales", ["sfa"])


WHERE: list[tuple[str, dict[str, str]]] = [
    ("/graphql", {}),
    ("/graphql/sales", {}),
    ("/graphql/default", {}),
    ("/graphql", {"unicrm-department": "sales"}),
]


@pytest.mark.parametrize("query", [INTROSPECT, TYPE_QUERY], ids=["schema", "type"])
async def test_introspection_is_refused_in_production_in_every_department(
    client_with, sales, query
):
    async with client_with(environment="production", department_limits=SALES_LIMITS) as http:
        for path, headers in WHERE:
            refused = await http.post(path, json={"query": query}, headers=headers)
            typename = await http.post(path, json={"query": "{ __typename }"}, headers=headers)
            body = refused.json()
            assert "data" not in body, path
            assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert "introspection" in body["errors"][0]["message"].lower()
            assert typename.json() == {"data": {"__typename": "Query"}}


async def test_introspection_enabled_in_production_holds_in_every_department(client_with, sales):
    overrides = {"environment": "production", "introspection": True}
    async with client_with(**overrides, department_limits=SALES_LIMITS) as http:
        for path, headers in WHERE:
            response = await http.post(path, json={"query": INTROSPECT}, headers=headers)
            assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_graphiql_is_not_served_in_production_in_any_department(client_with, sales):
    async with client_with(environment="production") as http:
        for path, headers in WHERE:
            response = await http.get(path, headers={**headers, "accept": BROWSER_ACCEPT})
            assert response.status_code == 400, path
            assert response.headers["content-type"] == "application/json; charset=utf-8"
            assert "graphiql" not in response.text.lower()


async def test_graphiql_enabled_in_production_is_served_on_department_paths(client_with, sales):
    async with client_with(environment="production", graphiql=True) as http:
        response = await http.get("/graphql/sales", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
