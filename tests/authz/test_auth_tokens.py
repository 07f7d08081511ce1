"""Access tokens: expiry, tampering, signing keys and their rotation, production settings."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import timedelta

import jwt
import pytest

from authz.auth_support import client_for, graphql, make_user, tokens, with_auth
from unicrm.core.app import create_app
from unicrm.core.authz.tokens import InvalidToken, decode_access_token, issue_access_token
from unicrm.core.config import load_settings
from unicrm.core.db.types import utcnow
from unicrm.core.errors import ConfigError

PROBE = "{ apiKeys { id } }"
OLD_KEY = "o" * 32
NEW_KEY = "n" * 32


def tampered(token: str) -> str:
    header, _claims, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    forged = jwt.encode(claims, "x" * 32, "HS256").split(".")[1]
    return ".".join((header, forged, signature))


def status_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["errors"][0]["extensions"]["code"]


async def test_expired_tampered_and_malformed_tokens_are_401(anonymous_client, unicrm_state):
    user = await make_user(unicrm_state)
    good = (await tokens(anonymous_client))["accessToken"]
    sid = jwt.decode(good, options={"verify_signature": False})["sid"]

    expired, _ = issue_access_token(
        unicrm_state.settings,
        user_id=user.id,
        session_id=uuid.UUID(sid),
        now=utcnow() - timedelta(hours=1),
    )
    unsigned = jwt.encode({"sub": str(user.id), "sid": sid}, None, "none")
    bad = {
        "expired": expired,
        "tampered": tampered(good),
        "unsigned": unsigned,
        "garbage": "a.b.c",
        "alg-none-header": base64.urlsafe_b64encode(b'{"alg":"none"}').decode() + ".e30.",
    }
    for name, token in bad.items():
        response = await graphql(anonymous_client, PROBE, token=token)
        assert status_of(response) == (401, "UNAUTHENTICATED"), name
        assert "data" not in response.json()
        assert response.headers["www-authenticate"].startswith("Bearer")
    for header in ("Basic dXNlcjpwdw==", "Bearer", "Bearer a b"):
        response = await anonymous_client.post(
            "/graphql", json={"query": PROBE}, headers={"Authorization": header}
        )
        assert status_of(response) == (401, "UNAUTHENTICATED"), header
    assert (await graphql(anonymous_client, PROBE, token=good)).status_code == 200


async def test_tokens_of_a_still_configured_old_key_work_and_a_removed_key_fails(unicrm_state):
    await make_user(unicrm_state)
    old_only = with_auth(unicrm_state, signing_keys={"2025": OLD_KEY}, active_kid="2025")
    rotated = with_auth(
        unicrm_state, signing_keys={"2025": OLD_KEY, "2026": NEW_KEY}, active_kid="2026"
    )
    new_only = with_auth(unicrm_state, signing_keys={"2026": NEW_KEY}, active_kid="2026")
    async with client_for(old_only) as http:
        old_token = (await tokens(http))["accessToken"]
    async with client_for(rotated) as http:
        new_token = (await tokens(http))["accessToken"]
        assert jwt.get_unverified_header(new_token)["kid"] == "2026"
        assert (await graphql(http, PROBE, token=old_token)).status_code == 200
        assert (await graphql(http, PROBE, token=new_token)).status_code == 200
    async with client_for(new_only) as http:
        response = await graphql(http, PROBE, token=old_token)
        assert status_of(response) == (401, "UNAUTHENTICATED")
        assert "unknown key" in response.json()["errors"][0]["message"]
        assert (await graphql(http, PROBE, token=new_token)).status_code == 200


def test_a_token_carries_the_standard_claims():
    settings = load_settings(environment="test")

    user, session = uuid.uuid4(), uuid.uuid4()
    token, expires = issue_access_token(settings, user_id=user, session_id=session)

    claims = jwt.decode(token, options={"verify_signature": False})
    assert set(claims) == {"sub", "sid", "iat", "exp", "iss", "aud", "jti"}
    assert (claims["sub"], claims["sid"], claims["iss"], claims["aud"]) == (
        str(user),
        str(session),
        "unicrm",
        "unicrm",
    )
    assert claims["exp"] - claims["iat"] == 15 * 60
    decoded = decode_access_token(settings, token)
    assert (decoded.user_id, decoded.session_id, decoded.expires_at) == (user, session, expires)
    other_audience = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"audience": "elsewhere"})}
    )
    with pytest.raises(InvalidToken):
        decode_access_token(other_audience, token)


def test_production_refuses_to_start_without_signing_keys_or_with_the_default_secret():
    no_keys = load_settings(environment="production", secret_key="s" * 40)
    default_secret = load_settings(
        environment="production", auth={"signing_keys": {"k1": NEW_KEY}, "active_kid": "k1"}
    )
    for settings in (no_keys, default_secret):
        with pytest.raises(ConfigError) as raised:
            create_app(settings)
        assert "\n" not in str(raised.value)
        assert "auth.signing_keys" in str(raised.value)
    ready = load_settings(
        environment="production",
        secret_key="s" * 40,
        auth={"signing_keys": {"k1": NEW_KEY}, "active_kid": "k1"},
    )
    assert create_app(ready) is not None


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"signing_keys": {"k1": "short"}, "active_kid": "k1"}, "shorter than 32"),
        ({"signing_keys": {"k1": NEW_KEY, "k2": OLD_KEY}}, "auth.active_kid"),
        ({"signing_keys": {"k1": NEW_KEY}, "active_kid": "k9"}, "expected one of k1"),
    ],
    ids=["short-key", "no-active-kid", "unknown-active-kid"],
)
def test_malformed_signing_keys_are_one_config_error(auth, message):
    settings = load_settings(environment="development", auth=auth)
    with pytest.raises(ConfigError, match=message):
        create_app(settings)


def test_signing_keys_are_hidden_from_config_show(monkeypatch):
    monkeypatch.setenv("UNICRM_AUTH__SIGNING_KEYS", '{"k1": "' + NEW_KEY + '"}')
    public = load_settings().public_dict()
    assert NEW_KEY not in repr(public)
    assert public["auth"]["signing_keys"] == {"k1": "**********"}


def test_a_verified_token_is_refused_once_it_expires():
    """Verified tokens are remembered, but never past their expiry."""
    settings = load_settings(auth={"access_token_minutes": 1})
    user, session = uuid.uuid4(), uuid.uuid4()
    almost_a_minute_ago = utcnow() - timedelta(seconds=57)
    token, expires = issue_access_token(
        settings, user_id=user, session_id=session, now=almost_a_minute_ago
    )
    assert decode_access_token(settings, token).user_id == user
    assert decode_access_token(settings, token).expires_at == expires  # remembered
    time.sleep(max((expires - utcnow()).total_seconds(), 0) + 0.1)
    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(settings, token)
    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(settings, token)


def test_a_remembered_token_is_refused_after_its_key_is_removed():
    signed = load_settings(
        auth={"signing_keys": {"k1": NEW_KEY, "k2": OLD_KEY}, "active_kid": "k2"}
    )
    token, _ = issue_access_token(signed, user_id=uuid.uuid4(), session_id=uuid.uuid4())
    assert decode_access_token(signed, token)
    rotated = load_settings(auth={"signing_keys": {"k1": NEW_KEY}, "active_kid": "k1"})
    with pytest.raises(InvalidToken, match="unknown key"):
        decode_access_token(rotated, token)
