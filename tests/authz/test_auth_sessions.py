"""Sessions: refresh rotation, reuse detection, sign-out, revocation, and POST /auth/token."""

from __future__ import annotations

from sqlalchemy import select

from authz.auth_support import (
    PASSWORD,
    count,
    graphql,
    make_user,
    tokens,
)
from unicrm.core.authz.models import AuthSession, RefreshToken
from unicrm.core.graph.ids import to_global_id

REFRESH = """
mutation($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) { tokens { accessToken refreshToken } errors { field code } }
}
"""
LOGOUT = "mutation { logout { revoked errors { code } } }"
REVOKE = """
mutation($input: SessionsRevokeInput!) {
  sessionsRevoke(input: $input) { revokedCount errors { field code message } }
}
"""
PROBE = "{ apiKeys { id } }"


async def refresh(client, refresh_token: str) -> dict:
    response = await graphql(client, REFRESH, {"input": {"refreshToken": refresh_token}})
    assert response.status_code == 200
    return response.json()


async def test_a_refresh_token_is_traded_once_for_new_tokens(client, unicrm_state):
    await make_user(unicrm_state)
    first = await tokens(client)

    body = await refresh(client, first["refreshToken"])

    second = body["data"]["tokenRefresh"]["tokens"]
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    assert (await graphql(client, PROBE, token=second["accessToken"])).status_code == 200
    third = (await refresh(client, second["refreshToken"]))["data"]["tokenRefresh"]["tokens"]
    assert third["refreshToken"] not in (first["refreshToken"], second["refreshToken"])
    assert await count(unicrm_state, AuthSession) == 1


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_session(client, unicrm_state):
    await make_user(unicrm_state)
    stolen = await tokens(client)
    fresh = (await refresh(client, stolen["refreshToken"]))["data"]["tokenRefresh"]["tokens"]

    replay = await refresh(client, stolen["refreshToken"])

    assert replay["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "already used" in replay["errors"][0]["message"]
    after = await refresh(client, fresh["refreshToken"])
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await graphql(client, PROBE, token=fresh["accessToken"])).status_code == 401
    async with unicrm_state.db.session() as session:
        reason = await session.scalar(select(AuthSession.revoked_reason))
    assert reason == "refresh_token_reuse"


async def test_logout_ends_the_session_and_its_access_token(client, unicrm_state):
    await make_user(unicrm_state)
    issued = await tokens(client)

    body = (await graphql(client, LOGOUT, token=issued["accessToken"])).json()

    assert body["data"]["logout"] == {"revoked": True, "errors": []}
    old = await graphql(client, PROBE, token=issued["accessToken"])
    assert old.status_code == 401
    assert old.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in old.json()
    again = await refresh(client, issued["refreshToken"])
    assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sessions_revoke_ends_every_session_of_the_user(client, unicrm_state):
    user = await make_user(unicrm_state)
    other = await make_user(unicrm_state, "malee@example.com")
    phone, laptop = await tokens(client), await tokens(client)
    others = await tokens(client, "malee@example.com")
    variables = {"input": {"userId": to_global_id("User", user.id)}}

    body = (await graphql(client, REVOKE, variables, token=phone["accessToken"])).json()

    assert body["data"]["sessionsRevoke"] == {"revokedCount": 2, "errors": []}
    for issued in (phone, laptop):
        assert (await graphql(client, PROBE, token=issued["accessToken"])).status_code == 401
    assert (await graphql(client, PROBE, token=others["accessToken"])).status_code == 200
    assert other.id != user.id


async def test_session_mutations_need_a_signed_in_user_and_valid_input(client, unicrm_state):
    user = await make_user(unicrm_state)
    issued = await tokens(client)
    before = await count(unicrm_state, AuthSession)

    anonymous = (await graphql(client, LOGOUT)).json()
    bad_id = await graphql(
        client, REVOKE, {"input": {"userId": "nope"}}, token=issued["accessToken"]
    )
    wrong_type = await graphql(
        client,
        REVOKE,
        {"input": {"userId": to_global_id("Customer", user.id)}},
        token=issued["accessToken"],
    )
    blank = await refresh(client, " ")
    unknown = await refresh(client, "not-a-refresh-token")

    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert bad_id.json()["data"]["sessionsRevoke"]["errors"][0]["code"] == "INVALID_ID"
    assert wrong_type.json()["data"]["sessionsRevoke"]["errors"][0]["field"] == "userId"
    assert blank["data"]["tokenRefresh"]["errors"] == [
        {"field": "refreshToken", "code": "REQUIRED"}
    ]
    assert unknown["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count(unicrm_state, AuthSession) == before
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(AuthSession.revoked_at)) is None


async def test_token_endpoint_grants_password_and_refresh_tokens(client, unicrm_state):
    await make_user(unicrm_state)

    form = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "somchai@example.com", "password": PASSWORD},
    )
    granted = form.json()
    refreshed = await client.post(
        "/auth/token",
        json={"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]},
    )
    replayed = await client.post(
        "/auth/token",
        json={"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]},
    )

    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    assert granted["token_type"] == "Bearer"
    assert 890 <= granted["expires_in"] <= 900
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != granted["refresh_token"]
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"
    probe = await graphql(client, PROBE, token=refreshed.json()["access_token"])
    assert probe.status_code == 401


async def test_token_endpoint_answers_rfc_6749_errors_and_writes_nothing(client, unicrm_state):
    await make_user(unicrm_state)
    cases = [
        ({"json": {"grant_type": "client_credentials"}}, 400, "unsupported_grant_type"),
        ({"json": {"username": "somchai@example.com"}}, 400, "invalid_request"),
        ({"json": {"grant_type": "password", "username": "x"}}, 400, "invalid_request"),
        (
            {"json": {"grant_type": "password", "username": 5, "password": "x"}},
            400,
            "invalid_request",
        ),
        ({"json": ["grant_type"]}, 400, "invalid_request"),
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "invalid_request",
        ),
        (
            {"content": b"grant_type=password", "headers": {"content-type": "text/plain"}},
            415,
            "invalid_request",
        ),
        (
            {
                "json": {
                    "grant_type": "password",
                    "username": "somchai@example.com",
                    "password": "nope",
                }
            },
            400,
            "invalid_grant",
        ),
        (
            {"json": {"grant_type": "refresh_token", "refresh_token": "forged"}},
            400,
            "invalid_grant",
        ),
        ({"json": {"grant_type": "password", "password": "x" * 20_000}}, 413, "invalid_request"),
    ]
    for request, status, error in cases:
        response = await client.post("/auth/token", **request)
        assert (response.status_code, response.json()["error"]) == (status, error), request
        assert response.json()["error_description"]
    assert await count(unicrm_state, AuthSession) == 0
    assert await count(unicrm_state, RefreshToken) == 0
