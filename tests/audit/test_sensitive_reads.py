"""Reads of `sensitive` personal data are audited when `audit.sensitive_reads` is on: one
`pii.read` entry per field and operation, naming the objects read, never the values."""

from __future__ import annotations

from sqlalchemy import text

from audit import probe_plugin
from audit.conftest import audit_entries, probe_client
from unicrm.core.testing.pytest_plugin import clear_audit_log, sign_in_as

CREATE = """
mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } } }
"""
READ = "query Notes { customers(first: 10) { edges { node { id probeHealthNote } } } }"
WITHOUT = "query Names { customers(first: 10) { edges { node { id displayName } } } }"


async def two_customers(gql) -> list[str]:
    ids = []
    for name in ("Somchai", "Malee"):
        body = await gql(CREATE, {"input": {"kind": "PERSON", "firstName": name}})
        ids.append(body["data"]["customerCreate"]["customer"]["id"])
    return ids


async def read(http, query: str) -> dict:
    response = await http.post("/graphql/probe", json={"query": query})
    assert response.status_code == 200, response.text
    return response.json()


async def test_clear_reads_of_a_sensitive_field_are_recorded_per_field_with_the_objects_read(
    gql, unicrm_state, unicrm_plugins
):
    ids = await two_customers(gql)
    token = await sign_in_as(unicrm_state, "nurse@unicrm.test", "admin")
    await clear_audit_log(unicrm_state)

    async with probe_client(
        unicrm_state, unicrm_plugins, token, audit={"sensitive_reads": True}
    ) as http:
        body = await read(http, READ)
        await read(http, WITHOUT)

    notes = [edge["node"]["probeHealthNote"] for edge in body["data"]["customers"]["edges"]]
    assert notes == [probe_plugin.HEALTH_NOTE] * 2
    (entry,) = await audit_entries(unicrm_state)
    assert (entry.action, entry.field, entry.operation) == (
        "pii.read",
        "Customer.probeHealthNote",
        "Notes",
    )
    assert (entry.department, entry.actor_name) == ("probe", "nurse")
    assert sorted(entry.targets) == sorted(ids)
    async with unicrm_state.db.session() as session:
        stored = repr((await session.execute(text("SELECT * FROM audit_entry"))).all())
    assert probe_plugin.HEALTH_NOTE not in stored


async def test_nothing_is_recorded_when_the_setting_is_off_or_the_read_is_refused(
    gql, unicrm_state, unicrm_plugins
):
    await two_customers(gql)
    admin = await sign_in_as(unicrm_state, "nurse@unicrm.test", "admin")
    clerk = await sign_in_as(unicrm_state, "clerk@unicrm.test", "store_staff")
    await clear_audit_log(unicrm_state)

    async with probe_client(unicrm_state, unicrm_plugins, admin) as http:
        off = await read(http, READ)
    async with probe_client(
        unicrm_state, unicrm_plugins, clerk, audit={"sensitive_reads": True}
    ) as http:
        refused = await read(http, READ)

    assert off["data"]["customers"]["edges"][0]["node"]["probeHealthNote"]
    assert {e["extensions"]["code"] for e in refused["errors"]} == {"FORBIDDEN"}
    assert refused["data"]["customers"]["edges"][0]["node"]["probeHealthNote"] is None
    assert await audit_entries(unicrm_state) == []
