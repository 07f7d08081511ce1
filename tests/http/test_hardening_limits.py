"""Request limits per department: ``department_limits.<slug>`` over the global ``limits``."""

from __future__ import annotations

import pytest
from http_helpers import CREATE, count_customers
from plugins.support import add_department
from strawberry.extensions.validation_cache import _get_validate_cache

from unicrm.core.config import Limits, load_settings
from unicrm.core.errors import ConfigError
from unicrm.schema.extensions import CACHE_SIZE, validation_rules

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}
SALES = {"department_limits": {"sales": {"max_depth": 4, "max_aliases": 2, "max_tokens": 40}}}
DEEP = "{ customers { edges { node { parent { parent { id } } } } } }"  # depth 5
ALIASED = "{ a: __typename b: __typename c: __typename }"
MANY_TOKENS = "{ " + "__typename " * 50 + "}"


def aliased_creates(count: int) -> str:
    creates = " ".join(
        f'c{i}: customerCreate(input: {{kind: PERSON, firstName: "N{i}"}}) {{ errors {{ code }} }}'
        for i in range(count)
    )
    return f"mutation {{ {creates} }}"


@pytest.fixture
async def sales(unicrm_state):
    await add_department(unicrm_state, "sales", ["sfa"])


async def post(http, query: str, path: str = "/graphql/sales", **kwargs):
    return await http.post(path, json={"query": query, **kwargs}, headers=GRAPHQL_RESPONSE)


def refusal(response, code: str) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code
    return body["errors"][0]["message"]


async def test_department_depth_limit_refuses_what_the_default_department_runs(client_with, sales):
    async with client_with(**SALES) as http:
        refused = await post(http, DEEP)
        by_header = await http.post(
            "/graphql",
            json={"query": DEEP},
            headers={**GRAPHQL_RESPONSE, "unicrm-department": "sales"},
        )
        default = await post(http, DEEP, "/graphql")
    assert "exceeds maximum operation depth of 4" in refusal(refused, "GRAPHQL_VALIDATION_FAILED")
    refusal(by_header, "GRAPHQL_VALIDATION_FAILED")
    assert default.json() == {"data": {"customers": {"edges": []}}}


async def test_department_alias_limit(client_with, sales):
    async with client_with(**SALES) as http:
        refused = await post(http, ALIASED)
        default = await post(http, ALIASED, "/graphql")
    assert refusal(refused, "GRAPHQL_VALIDATION_FAILED") == "3 aliases found. Allowed: 2"
    assert default.json()["data"] == {"a": "Query", "b": "Query", "c": "Query"}


async def test_department_token_limit(client_with, sales):
    async with client_with(**SALES) as http:
        refused = await post(http, MANY_TOKENS)
        default = await post(http, MANY_TOKENS, "/graphql")
    assert "more than 40 tokens" in refusal(refused, "GRAPHQL_PARSE_FAILED")
    assert default.json() == {"data": {"__typename": "Query"}}


async def test_department_page_size_limit_reaches_connections(client_with, sales):
    query = "{ customers(first: 3) { totalCount } }"
    async with client_with(department_limits={"sales": {"max_page_size": 2}}) as http:
        refused = await http.post("/graphql/sales", json={"query": query})
        allowed = await http.post("/graphql/sales", json={"query": query.replace("3", "2")})
        default = await http.post("/graphql", json={"query": query})
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"] == "first must be between 0 and 2"
    assert refused.json()["data"] is None
    assert allowed.json() == {"data": {"customers": {"totalCount": 0}}}
    assert default.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_department_request_size_limit(client_with, sales, unicrm_state):
    padding = " " * 1500
    async with client_with(department_limits={"sales": {"max_request_bytes": 1024}}) as http:
        refused = await http.post(
            "/graphql/sales",
            json={
                "query": CREATE + padding,
                "variables": {"input": {"kind": "PERSON", "firstName": "A"}},
            },
        )
        default = await http.post("/graphql", json={"query": "{ __typename }" + padding})
    assert refused.status_code == 413
    assert refused.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert default.json() == {"data": {"__typename": "Query"}}
    assert await count_customers(unicrm_state) == 0


@pytest.mark.parametrize(
    ("limits", "query", "code"),
    [
        ({"max_aliases": 2}, aliased_creates(3), "GRAPHQL_VALIDATION_FAILED"),
        (
            {"max_tokens": 40},
            aliased_creates(1)[:-1] + "__typename " * 30 + "}",
            "GRAPHQL_PARSE_FAILED",
        ),
    ],
    ids=["aliases", "tokens"],
)
async def test_mutation_refused_by_a_department_limit_writes_nothing(
    client_with, sales, unicrm_state, limits, query, code
):
    async with client_with(department_limits={"sales": limits}) as http:
        response = await post(http, query)
        refusal(response, code)
        assert await count_customers(unicrm_state) == 0
        allowed_elsewhere = await post(http, query, "/graphql")
    assert "errors" not in allowed_elsewhere.json()
    assert await count_customers(unicrm_state) > 0


async def test_deep_mutation_refused_by_a_department_limit_writes_nothing(
    client_with, sales, unicrm_state
):
    deep = """mutation { customerCreate(input: {kind: PERSON, firstName: "D"}) {
        customer { parent { parent { parent { id } } } } } }"""
    async with client_with(**SALES) as http:
        response = await post(http, deep)
    assert "exceeds maximum operation depth of 4" in refusal(response, "GRAPHQL_VALIDATION_FAILED")
    assert await count_customers(unicrm_state) == 0


async def test_department_validation_is_cached_across_requests(client_with, sales):
    query = "{ customers(first: 1) { totalCount } }"
    cache = _get_validate_cache(CACHE_SIZE)
    async with client_with(**SALES) as http:
        await post(http, query)
        hits = cache.cache_info().hits
        await post(http, query)
        assert cache.cache_info().hits == hits + 1


def test_rule_sets_are_built_once_per_set_of_limits():
    assert validation_rules(4, 2, True) is validation_rules(4, 2, True)
    assert validation_rules(4, 2, True) != validation_rules(5, 2, True)


def test_department_limits_merge_over_the_global_limits(monkeypatch):
    monkeypatch.setenv("UNICRM_LIMITS__MAX_ALIASES", "7")
    monkeypatch.setenv("UNICRM_DEPARTMENT_LIMITS__SALES__MAX_DEPTH", "8")
    settings = load_settings()
    sales = settings.limits_for("sales")
    assert (sales.max_depth, sales.max_aliases) == (8, 7)
    assert settings.limits_for("support") is settings.limits
    assert settings.limits_for("sales") is sales
    assert settings.limits.max_depth == Limits().max_depth


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "UNICRM_DEPARTMENT_LIMITS__SALES__MAX_DEPTH",
            "0",
            "bad setting department_limits.sales.max_depth "
            "(UNICRM_DEPARTMENT_LIMITS__SALES__MAX_DEPTH): Input should be greater than or equal to 1",
        ),
        (
            "UNICRM_DEPARTMENT_LIMITS__SALES__DEPTH",
            "3",
            "bad setting department_limits.sales.depth (UNICRM_DEPARTMENT_LIMITS__SALES__DEPTH): "
            "unknown setting; expected one of " + ", ".join(Limits.model_fields),
        ),
    ],
    ids=["too-small", "unknown"],
)
def test_bad_department_limits_are_one_config_error(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == message
