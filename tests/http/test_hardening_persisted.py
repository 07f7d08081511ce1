"""Persisted queries (trusted documents): hashes from a manifest, over GET and POST."""

from __future__ import annotations

import json

import orjson
import pytest
from http_helpers import CREATE, count_customers, state_for

from unicrm.core.app import create_app
from unicrm.core.config import load_settings
from unicrm.core.errors import ConfigError
from unicrm.schema.persisted import document_hash

COUNT = "{ customers { totalCount } }"
UNKNOWN = document_hash("{ __typename }")
PERSON = {"input": {"kind": "PERSON", "firstName": "Dao"}}


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_bytes(orjson.dumps({document_hash(d): d for d in (COUNT, CREATE)}))
    return path


def apollo(digest: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def code_of(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


def refused(response, code: str) -> None:
    assert response.status_code == 400, response.text
    assert "data" not in response.json()
    assert code_of(response) == code


async def test_only_mode_runs_manifest_documents_by_hash_over_post_and_get(client_with, manifest):
    async with client_with(persisted_queries={"mode": "only", "manifest": manifest}) as http:
        by_extension = await http.post(
            "/graphql", json={"extensions": apollo(document_hash(COUNT))}
        )
        by_document_id = await http.post(
            "/graphql", json={"documentId": f"sha256:{document_hash(COUNT)}"}
        )
        get_extension = await http.get(
            "/graphql", params={"extensions": json.dumps(apollo(document_hash(COUNT)))}
        )
        get_document_id = await http.get("/graphql", params={"documentId": document_hash(COUNT)})
    for response in (by_extension, by_document_id, get_extension, get_document_id):
        assert response.json() == {"data": {"customers": {"totalCount": 0}}}, response.text


async def test_only_mode_runs_a_persisted_mutation_with_variables(
    client_with, manifest, unicrm_state
):
    async with client_with(persisted_queries={"mode": "only", "manifest": manifest}) as http:
        response = await http.post(
            "/graphql", json={"documentId": document_hash(CREATE), "variables": PERSON}
        )
    assert response.json()["data"]["customerCreate"]["errors"] == []
    assert await count_customers(unicrm_state) == 1


async def test_only_mode_refuses_an_ad_hoc_document_and_writes_nothing(
    client_with, manifest, unicrm_state
):
    async with client_with(persisted_queries={"mode": "only", "manifest": manifest}) as http:
        mutation = await http.post("/graphql", json={"query": CREATE, "variables": PERSON})
        get = await http.get("/graphql", params={"query": COUNT})
    refused(mutation, "PERSISTED_QUERY_ONLY")
    refused(get, "PERSISTED_QUERY_ONLY")
    assert await count_customers(unicrm_state) == 0


async def test_only_mode_refuses_an_unknown_hash(client_with, manifest):
    async with client_with(persisted_queries={"mode": "only", "manifest": manifest}) as http:
        post = await http.post("/graphql", json={"extensions": apollo(UNKNOWN)})
        get = await http.get("/graphql", params={"documentId": f"sha256:{UNKNOWN}"})
        with_its_query = await http.post(
            "/graphql", json={"query": "{ __typename }", "extensions": apollo(UNKNOWN)}
        )
    for response in (post, get, with_its_query):
        refused(response, "PERSISTED_QUERY_NOT_FOUND")
        assert UNKNOWN in response.json()["errors"][0]["message"]


async def test_persisted_mutation_over_get_is_405_and_writes_nothing(
    client_with, manifest, unicrm_state
):
    params = {"documentId": document_hash(CREATE), "variables": json.dumps(PERSON)}
    async with client_with(persisted_queries={"mode": "only", "manifest": manifest}) as http:
        response = await http.get("/graphql", params=params)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert await count_customers(unicrm_state) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": "sha256:abc"},
        {"documentId": 12},
        {"extensions": {"persistedQuery": {"version": 1}}},
        {"extensions": {"persistedQuery": "x"}},
        {"query": "{ __typename }", "documentId": document_hash(CREATE), "variables": PERSON},
        {"query": CREATE + " ", "documentId": document_hash(CREATE), "variables": PERSON},
    ],
    ids=["short-hash", "number", "no-hash", "not-object", "other-query", "altered-query"],
)
async def test_malformed_or_mismatched_hashes_are_bad_requests_and_write_nothing(
    client_with, manifest, unicrm_state, body
):
    async with client_with(persisted_queries={"mode": "allow", "manifest": manifest}) as http:
        response = await http.post("/graphql", json=body)
    refused(response, "BAD_REQUEST")
    assert await count_customers(unicrm_state) == 0


async def test_allow_mode_runs_hashes_and_ad_hoc_documents(client_with, manifest):
    async with client_with(persisted_queries={"mode": "allow", "manifest": manifest}) as http:
        known = await http.post("/graphql", json={"extensions": apollo(document_hash(COUNT))})
        ad_hoc = await http.post("/graphql", json={"query": "{ __typename }"})
        unknown_with_query = await http.post(
            "/graphql", json={"query": "{ __typename }", "extensions": apollo(UNKNOWN)}
        )
        unknown = await http.post("/graphql", json={"extensions": apollo(UNKNOWN)})
    assert known.json() == {"data": {"customers": {"totalCount": 0}}}
    assert ad_hoc.json() == {"data": {"__typename": "Query"}}
    assert unknown_with_query.json() == {"data": {"__typename": "Query"}}
    refused(unknown, "PERSISTED_QUERY_NOT_FOUND")


async def test_off_mode_says_persisted_queries_are_not_supported(client_with):
    async with client_with() as http:
        hash_only = await http.post("/graphql", json={"extensions": apollo(document_hash(COUNT))})
        with_query = await http.post(
            "/graphql", json={"query": COUNT, "extensions": apollo(document_hash(COUNT))}
        )
    refused(hash_only, "PERSISTED_QUERY_NOT_SUPPORTED")
    assert with_query.json() == {"data": {"customers": {"totalCount": 0}}}


def test_only_mode_needs_a_manifest():
    with pytest.raises(ConfigError) as caught:
        load_settings(persisted_queries={"mode": "only"})
    assert "mode only needs a manifest file" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "not JSON"),
        (b'["{ __typename }"]', "expected a JSON object"),
        (orjson.dumps({UNKNOWN: COUNT}), "is not the SHA-256 of its document"),
    ],
    ids=["not-json", "array", "wrong-hash"],
)
def test_a_bad_manifest_stops_the_app_with_one_config_error(
    tmp_path, unicrm_plugins, content, problem
):
    path = tmp_path / "manifest.json"
    path.write_bytes(content)
    state = state_for(unicrm_plugins, persisted_queries={"mode": "only", "manifest": path})
    with pytest.raises(ConfigError) as caught:
        create_app(state=state)
    assert str(caught.value).startswith(f"bad persisted query manifest {path}: ")
    assert problem in str(caught.value)


def test_a_missing_manifest_stops_the_app(tmp_path, unicrm_plugins):
    path = tmp_path / "missing.json"
    state = state_for(unicrm_plugins, persisted_queries={"mode": "allow", "manifest": path})
    with pytest.raises(ConfigError, match="No such file or directory"):
        create_app(state=state)
