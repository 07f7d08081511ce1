"""The audit trail of authentication: sign-ins (ok and refused), refreshes, refresh-token
replays, API-key use and policy changes, each without the credentials involved."""

from __future__ import annotations

from authz.auth_support import PASSWORD, client_for, login, make_user, with_auth
from sqlalchemy import text

from audit.conftest import audit_entries
from unicrm.core.authz.admin import Editor, GrantSpec, PolicyAdmin, grant
from unicrm.core.cli.policy_runtime import CLI_EDITOR
from unicrm.core.graph.ids import to_global_id

REFRESH = """
mutation($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) { tokens { refreshToken } errors { code } }
}
"""
API_KEY_CREATE = """
mutation($input: ApiKeyCreateInput!) {
  apiKeyCreate(input: $input) { key apiKey { id } errors { code } }
}
"""


def sign_ins(entries):
    return [
        (e.actor_kind, e.actor_id, e.outcome, e.details)
        for e in entries
        if e.action == "auth.login"
    ]


async def stored_text(state) -> str:
    async with state.db.session() as session:
        return repr((await session.execute(text("SELECT * FROM audit_entry"))).all())


async def test_a_sign_in_is_recorded_with_its_user_method_and_session(
    anonymous_client, unicrm_state
):
    user = await make_user(unicrm_state)

    response = await anonymous_client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "somchai@example.com", "password": PASSWORD},
    )

    assert response.status_code == 200
    (entry,) = [e for e in await audit_entries(unicrm_state) if e.action == "auth.login"]
    assert entry.outcome == "ok"
    assert entry.actor_id == to_global_id("User", user.id)
    assert entry.targets == [to_global_id("User", user.id)]
    assert entry.details["method"] == "password"
    assert entry.details["session"]
    assert entry.client_address == "127.0.0.1"
    stored = await stored_text(unicrm_state)
    assert "somchai@example.com" not in stored and PASSWORD not in stored
    assert response.json()["access_token"] not in stored


async def test_refused_sign_ins_are_recorded_with_their_reason_and_never_the_input(
    anonymous_client, unicrm_state
):
    user = await make_user(unicrm_state)
    limited = with_auth(unicrm_state, max_failures_per_account=2)

    async with client_for(limited) as http:
        await login(http, password="wrong password one")
        await login(http, email="nobody@example.com", password="wrong password two")
        await login(http, password="wrong password three")
        throttled = await login(http)

    assert throttled["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    known = to_global_id("User", user.id)
    assert sign_ins(await audit_entries(unicrm_state)) == [
        ("user", known, "invalid_credentials", {"method": "password"}),
        ("anonymous", None, "invalid_credentials", {"method": "password"}),
        ("user", known, "invalid_credentials", {"method": "password"}),
        ("anonymous", None, "throttled", {"method": "password"}),
    ]
    stored = await stored_text(unicrm_state)
    for secret in ("nobody@example.com", "wrong password", "somchai@example.com"):
        assert secret not in stored


async def test_a_refresh_and_a_replayed_refresh_token_are_recorded(anonymous_client, unicrm_state):
    user = await make_user(unicrm_state)
    first = (await login(anonymous_client))["data"]["login"]["tokens"]["refreshToken"]

    refreshed = await anonymous_client.post(
        "/graphql", json={"query": REFRESH, "variables": {"input": {"refreshToken": first}}}
    )
    replayed = await anonymous_client.post(
        "/graphql", json={"query": REFRESH, "variables": {"input": {"refreshToken": first}}}
    )

    assert refreshed.json()["data"]["tokenRefresh"]["tokens"]["refreshToken"]
    assert (
        replayed.json()["data"] is None or replayed.json()["data"]["tokenRefresh"]["tokens"] is None
    )
    entries = [e for e in await audit_entries(unicrm_state) if e.action == "auth.refresh"]
    assert [(e.actor_id, e.outcome) for e in entries] == [
        (to_global_id("User", user.id), "ok"),
        (to_global_id("User", user.id), "refresh_token_reuse"),
    ]
    assert entries[0].details["session"] == entries[1].details["session"]
    assert first not in await stored_text(unicrm_state)


async def test_an_api_key_s_use_is_recorded_at_most_once_a_minute(client, gql, unicrm_state):
    created = (
        await gql(
            API_KEY_CREATE,
            {"input": {"name": "POS sync", "department": "default", "role": "admin"}},
        )
    )["data"]["apiKeyCreate"]
    key = created["key"]

    for _ in range(3):
        response = await client.post(
            "/graphql",
            json={"query": "{ viewer { kind } }"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200

    used = [e for e in await audit_entries(unicrm_state) if e.action == "auth.api_key_use"]
    assert [(e.actor_kind, e.actor_id, e.department) for e in used] == [
        ("api_key", created["apiKey"]["id"], "default")
    ]
    assert key.split("_", 2)[2] not in await stored_text(unicrm_state)


async def test_every_policy_change_is_recorded_with_its_version_and_editor(unicrm_state):
    admin = PolicyAdmin(unicrm_state, Editor(CLI_EDITOR))
    spec = GrantSpec(role="analyst", department="default", obj="core.customer", action="write")

    version = await admin.apply(grant(admin, spec))

    (entry,) = [e for e in await audit_entries(unicrm_state) if e.action == "policy.change"]
    assert (entry.actor_kind, entry.actor_name) == ("system", CLI_EDITOR)
    assert entry.details["version"] == version
    assert "analyst" in entry.details["comment"]
