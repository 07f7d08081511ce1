"""API keys: created once, used as Bearer credentials in their department, expiring,
revocable, with their last use noted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from authz.auth_support import count, graphql
from unicrm.core.authz.apikeys import LAST_USED_EVERY
from unicrm.core.authz.models import ApiKey
from unicrm.core.db.types import utcnow
from unicrm.core.graph.departments.services import create_department

CREATE = """
mutation($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) {
    key
    apiKey { id prefix name department role expiresAt revokedAt lastUsedAt createdBy { id } }
    errors { field code message }
  }
}
"""
REVOKE = """
mutation($input: ApiKeyRevokeInput!) {
  apiKeyRevoke(input: $input) { apiKey { id revokedAt } errors { field code } }
}
"""
LIST = "{ apiKeys { id prefix name department role lastUsedAt revokedAt } }"


async def create_key(gql, **overrides) -> dict:
    fields = {"name": "POS sync", "department": "default", "role": "pos_writer", **overrides}
    body = await gql(CREATE, {"input": fields})
    return body["data"]["apiKeyCreate"]


async def test_a_key_is_shown_once_and_stored_only_as_a_hash(gql, unicrm_state):
    created = await create_key(gql)

    key = created["key"]
    assert created["errors"] == []
    assert key.startswith(f"ucrm_{created['apiKey']['prefix']}_")
    assert created["apiKey"]["department"] == "default"
    assert created["apiKey"]["role"] == "pos_writer"
    listed = (await gql(LIST))["data"]["apiKeys"]
    assert [k["prefix"] for k in listed] == [created["apiKey"]["prefix"]]
    assert key not in str(listed)
    async with unicrm_state.db.session() as session:
        row = await session.scalar(select(ApiKey))
    secret = key.split("_", 2)[2]
    assert secret not in (row.secret_hash, row.prefix, row.name)


async def test_a_key_authenticates_in_its_department_and_notes_its_use(client, gql, unicrm_state):
    created = await create_key(gql)

    response = await graphql(client, LIST, token=created["key"])
    again = await graphql(client, LIST, token=created["key"])

    assert response.status_code == 200
    used = response.json()["data"]["apiKeys"][0]["lastUsedAt"]
    assert used is not None
    assert again.json()["data"]["apiKeys"][0]["lastUsedAt"] == used  # at most once a minute
    async with unicrm_state.db.transaction() as session:
        earlier = utcnow() - LAST_USED_EVERY - timedelta(seconds=1)
        await session.execute(update(ApiKey).values(last_used_at=earlier))
    later = await graphql(client, LIST, token=created["key"])
    assert later.json()["data"]["apiKeys"][0]["lastUsedAt"] > earlier.isoformat()


async def test_a_key_is_refused_in_another_department(client, gql, unicrm_state):
    async with unicrm_state.db.transaction() as session:
        await create_department(
            session, unicrm_state.registry, slug="sales", name="Sales", plugins=["sfa"]
        )
    unicrm_state.departments.invalidate()
    created = await create_key(gql, department="sales")

    own = await graphql(client, LIST, token=created["key"])
    by_path = await graphql(client, LIST, token=created["key"], path="/graphql/default")
    by_header = await graphql(
        client, LIST, token=created["key"], headers={"UniCRM-Department": "default"}
    )

    assert own.status_code == 200
    assert own.json()["data"]["apiKeys"][0]["department"] == "sales"
    for refused in (by_path, by_header):
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "data" not in refused.json()


async def test_revoked_expired_and_forged_keys_are_401(client, gql, unicrm_state):
    revoked = await create_key(gql, name="old")
    expiring = await create_key(
        gql, name="temp", expiresAt=(utcnow() + timedelta(hours=1)).isoformat()
    )
    body = await gql(REVOKE, {"input": {"id": revoked["apiKey"]["id"]}})
    assert body["data"]["apiKeyRevoke"]["apiKey"]["revokedAt"] is not None
    assert (await graphql(client, LIST, token=expiring["key"])).status_code == 200
    async with unicrm_state.db.transaction() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.name == "temp")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    forged = expiring["key"][:-4] + "AAAA"

    for key, message in (
        (revoked["key"], "revoked"),
        (expiring["key"], "expired"),
        (forged, "invalid"),
        ("ucrm_nothing", "malformed"),
    ):
        response = await graphql(client, LIST, token=key)
        assert response.status_code == 401, key
        assert message in response.json()["errors"][0]["message"]
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_api_key_mutations_reject_bad_input_and_write_nothing(gql, unicrm_state):
    past = (utcnow() - timedelta(days=1)).isoformat()
    bad = await create_key(gql, name=" ", role="Admin Role", expiresAt=past)
    nowhere = await create_key(gql, department="nowhere")
    long_name = await create_key(gql, name="x" * 201)
    revoke_bad = await gql(REVOKE, {"input": {"id": "nope"}})
    revoke_unknown = await gql(
        REVOKE, {"input": {"id": "QXBpS2V5OjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw"}}
    )

    assert bad["key"] is None and bad["apiKey"] is None
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [
        ("name", "REQUIRED"),
        ("role", "INVALID"),
        ("expiresAt", "INVALID"),
    ]
    assert [(e["field"], e["code"]) for e in nowhere["errors"]] == [("department", "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in long_name["errors"]] == [("name", "TOO_LONG")]
    assert revoke_bad["data"]["apiKeyRevoke"]["errors"] == [{"field": "id", "code": "INVALID_ID"}]
    assert revoke_unknown["data"]["apiKeyRevoke"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND"}
    ]
    assert await count(unicrm_state, ApiKey) == 0
