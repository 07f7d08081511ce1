"""Signing in: the login mutation and POST /auth/token with grant_type=password."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update

from authz.auth_support import (
    PASSWORD,
    client_for,
    count,
    graphql,
    login,
    make_user,
    with_auth,
)
from unicrm.core.authz.models import AuthSession, LoginThrottle
from unicrm.core.authz.passwords import needs_rehash, verify_password
from unicrm.core.db.types import utcnow
from unicrm.core.graph.users.models import User
from unicrm.core.graph.users.services import disable_user

ME = "mutation { logout { revoked errors { code } } }"


async def test_login_answers_tokens_that_identify_the_user(client, unicrm_state):
    await make_user(unicrm_state)

    body = await login(client, " Somchai@Example.com ")

    tokens = body["data"]["login"]["tokens"]
    assert body["data"]["login"]["errors"] == []
    assert tokens["tokenType"] == "Bearer"
    assert tokens["accessToken"].count(".") == 2
    assert tokens["refreshToken"] and tokens["refreshToken"] != tokens["accessToken"]
    assert tokens["accessTokenExpiresAt"] < tokens["refreshTokenExpiresAt"]
    signed_in = await graphql(client, ME, token=tokens["accessToken"])
    assert signed_in.json()["data"]["logout"] == {"revoked": True, "errors": []}
    assert await count(unicrm_state, AuthSession) == 1


async def test_wrong_password_and_unknown_email_get_the_same_answer(client, unicrm_state):
    await make_user(unicrm_state)

    wrong = await login(client, password="not the password")
    unknown = await login(client, email="nobody@example.com")

    for body in (wrong, unknown):
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["message"] == "wrong e-mail or password"
        assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "INVALID_CREDENTIALS"}
    assert await count(unicrm_state, AuthSession) == 0


async def test_a_disabled_user_cannot_sign_in(client, unicrm_state):
    await make_user(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await disable_user(session, "somchai@example.com")

    body = await login(client)

    assert body["errors"][0]["extensions"]["reason"] == "USER_DISABLED"
    assert await count(unicrm_state, AuthSession) == 0


async def test_a_user_without_a_password_cannot_sign_in_with_one(client, unicrm_state):
    await make_user(unicrm_state, password=None)

    body = await login(client, password="anything at all")

    assert body["errors"][0]["extensions"]["reason"] == "INVALID_CREDENTIALS"


async def test_an_account_is_throttled_after_repeated_failures(client, unicrm_state):
    await make_user(unicrm_state)
    limited = with_auth(unicrm_state, max_failures_per_account=3, lockout_seconds=600)
    async with client_for(limited) as http:
        for _ in range(3):
            body = await login(http, password="guess")
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        locked = await login(http)  # even the right password waits
        token = await http.post(
            "/auth/token",
            data={
                "grant_type": "password",
                "username": "somchai@example.com",
                "password": PASSWORD,
            },
        )

    (error,) = locked["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 590 <= error["extensions"]["retryAfter"] <= 600
    assert token.status_code == 429
    assert token.json()["error"] == "rate_limited"
    assert 590 <= int(token.headers["Retry-After"]) <= 600
    assert await count(unicrm_state, AuthSession) == 0


async def test_a_client_address_is_throttled_across_accounts(client, unicrm_state):
    await make_user(unicrm_state)
    limited = with_auth(unicrm_state, max_failures_per_address=4, max_failures_per_account=100)
    async with client_for(limited) as http:
        for n in range(4):
            await login(http, email=f"guess{n}@example.com")
        body = await login(http)

    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_success_clears_the_account_count_and_a_lock_runs_out(client, unicrm_state):
    await make_user(unicrm_state)
    limited = with_auth(unicrm_state, max_failures_per_account=3)
    async with client_for(limited) as http:
        await login(http, password="guess")
        await login(http, password="guess")
        assert (await login(http))["data"]["login"]["tokens"]
        await login(http, password="guess")
        await login(http, password="guess")
        assert (await login(http))["data"]["login"]["tokens"]

        for _ in range(3):
            await login(http, password="guess")
        assert (await login(http))["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        async with unicrm_state.db.transaction() as session:
            ended = utcnow() - timedelta(seconds=1)
            await session.execute(update(LoginThrottle).values(locked_until=ended))
        assert (await login(http))["data"]["login"]["tokens"]


async def test_login_rejects_blank_and_oversized_input_without_writing(client, unicrm_state):
    await make_user(unicrm_state)

    blank = await login(client, email=" ", password="")
    huge = await login(client, password="x" * 5000)

    assert blank["data"]["login"] == {
        "tokens": None,
        "errors": [
            {"field": "email", "code": "REQUIRED", "message": "email is required"},
            {"field": "password", "code": "REQUIRED", "message": "password is required"},
        ],
    }
    assert huge["data"]["login"]["errors"] == [
        {"field": "password", "code": "TOO_LONG", "message": "password is too long"}
    ]
    assert await count(unicrm_state, LoginThrottle) == 0
    assert await count(unicrm_state, AuthSession) == 0


async def test_a_hash_with_old_parameters_is_replaced_at_sign_in(client, unicrm_state):
    user = await make_user(unicrm_state)
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(User).where(User.id == user.id).values(password_hash=weak))
    assert needs_rehash(weak)

    assert (await login(client))["data"]["login"]["tokens"]

    async with unicrm_state.db.session() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored != weak and not needs_rehash(stored)
    assert verify_password(stored, PASSWORD)
