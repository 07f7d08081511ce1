"""Each request runs against its department's schema; the departments table decides which,
and a change to it reaches the running process without a restart."""

from __future__ import annotations

import asyncio

import pytest
from plugins.support import add_department

from unicrm.core.graph.departments.services import DepartmentDirectory, set_plugins

DEALS = "{ deals(first: 5) { totalCount } }"
CASES = "{ cases(first: 5) { totalCount } }"
CUSTOMER_DEALS = "{ customers { edges { node { deals { id } } } } }"
HEADER = "UniCRM-Department"


async def enable(state, slug: str, *plugins: str) -> None:
    async with state.db.transaction() as session:
        await set_plugins(session, state.registry, slug, enable=plugins)


def is_validation_error(body: dict, field: str) -> bool:
    errors = body.get("errors") or []
    return (
        "data" not in body
        and len(errors) == 1
        and errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        and f"'{field}'" in errors[0]["message"]
    )


@pytest.fixture
async def departments(unicrm_state):
    """``sales`` enables only SFA, ``service`` only CRM; ``default`` has every plugin."""
    await add_department(unicrm_state, "sales", ["sfa"])
    await add_department(unicrm_state, "service", ["crm"])
    return unicrm_state


async def test_graphql_without_department_uses_the_default_one(gql, departments):
    assert await gql(DEALS) == {"data": {"deals": {"totalCount": 0}}}
    assert await gql(CASES) == {"data": {"cases": {"totalCount": 0}}}


async def test_department_header_picks_the_schema(gql, departments):
    headers = {HEADER: "service"}

    assert await gql(CASES, headers=headers) == {"data": {"cases": {"totalCount": 0}}}
    assert is_validation_error(await gql(DEALS, headers=headers), "deals")


async def test_department_in_the_path_picks_the_schema_and_wins_over_the_header(gql, departments):
    body = await gql(DEALS, department="sales", headers={HEADER: "service"})

    assert body == {"data": {"deals": {"totalCount": 0}}}
    assert is_validation_error(await gql(CASES, department="sales"), "cases")


@pytest.mark.parametrize("where", ["path", "header"])
async def test_unknown_department_is_a_404_json_error(client, departments, where):
    path, headers = (
        ("/graphql/nowhere", {}) if where == "path" else ("/graphql", {HEADER: "nowhere"})
    )

    response = await client.post(path, json={"query": DEALS}, headers=headers)

    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"message": "no department 'nowhere'", "extensions": {"code": "NOT_FOUND"}}]
    }


async def test_department_without_sfa_cannot_ask_for_customer_deals(gql, departments):
    body = await gql(CUSTOMER_DEALS, department="service")

    assert is_validation_error(body, "deals")


async def test_enabling_sfa_takes_effect_once_the_directory_rereads(gql, departments, monkeypatch):
    state = departments
    monkeypatch.setattr(state, "departments", DepartmentDirectory(state.db, ttl=60))
    assert is_validation_error(await gql(CUSTOMER_DEALS, department="service"), "deals")

    await enable(state, "service", "sfa")
    assert is_validation_error(await gql(CUSTOMER_DEALS, department="service"), "deals")
    state.departments.invalidate()

    body = await gql(CUSTOMER_DEALS, department="service")
    assert body == {"data": {"customers": {"edges": []}}}


async def test_enabling_sfa_reaches_a_running_process_within_the_ttl(gql, departments, monkeypatch):
    state = departments
    ttl = 0.2
    monkeypatch.setattr(state, "departments", DepartmentDirectory(state.db, ttl=ttl))
    assert is_validation_error(await gql(CUSTOMER_DEALS, department="service"), "deals")

    await enable(state, "service", "sfa")
    await asyncio.sleep(ttl * 1.5)

    body = await gql(CUSTOMER_DEALS, department="service")
    assert body == {"data": {"customers": {"edges": []}}}
    assert (await state.departments.get("service")).version == 2


async def test_disabling_a_plugin_removes_its_fields_from_the_department(gql, departments):
    state = departments
    async with state.db.transaction() as session:
        await set_plugins(session, state.registry, "sales", disable=["sfa"])
    state.departments.invalidate()

    assert is_validation_error(await gql(DEALS, department="sales"), "deals")
