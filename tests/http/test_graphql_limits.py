"""Depth, alias and token limits refuse costly documents before anything executes."""

from __future__ import annotations

from strawberry.extensions.validation_cache import _get_validate_cache

from unicrm.schema.extensions import CACHE_SIZE

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


def nested_parents(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"parent {{ {inner} }}"
    return f"{{ customers {{ edges {{ node {{ {inner} }} }} }} }}"


async def refused(client, query: str) -> dict:
    response = await client.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    return body["errors"][0]


async def test_too_deep_query_is_refused(client, unicrm_state):
    limit = unicrm_state.settings.limits.max_depth
    error = await refused(client, nested_parents(limit))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert f"exceeds maximum operation depth of {limit}" in error["message"]


async def test_query_within_the_depth_limit_runs(client, unicrm_state):
    query = nested_parents(unicrm_state.settings.limits.max_depth - 4)
    response = await client.post("/graphql", json={"query": query}, headers=GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"customers": {"edges": []}}}


async def test_too_many_aliases_are_refused(client, unicrm_state):
    limit = unicrm_state.settings.limits.max_aliases
    fields = " ".join(f"a{i}: __typename" for i in range(limit + 1))
    error = await refused(client, f"{{ {fields} }}")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"] == f"{limit + 1} aliases found. Allowed: {limit}"


async def test_too_many_tokens_are_refused(client, unicrm_state):
    limit = unicrm_state.settings.limits.max_tokens
    error = await refused(client, "{ " + "__typename " * limit + "}")
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert f"more than {limit} tokens" in error["message"]


async def test_validation_is_cached_across_requests(client):
    query = "{ customers(first: 3) { totalCount } }"
    cache = _get_validate_cache(CACHE_SIZE)
    await client.post("/graphql", json={"query": query})
    hits = cache.cache_info().hits
    await client.post("/graphql", json={"query": query})
    assert cache.cache_info().hits == hits + 1
