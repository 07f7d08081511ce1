"""OpenID Connect single sign-on against a real identity provider served on a local port.

A browser is an httpx client that follows redirects: UniCRM is reached over ASGI at
http://unicrm.test, the identity provider over HTTP, and UniCRM itself calls the provider's
token endpoint and JWKS over HTTP.
"""

from __future__ import annotations

import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from sqlalchemy import func, select, update

from authz.idp import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    IdentityProvider,
    SigningKey,
    b64url,
    serving,
)
from unicrm.core.app import create_app
from unicrm.core.authz import oidc_routes
from unicrm.core.authz.models import AuthSession
from unicrm.core.authz.oidc import OidcClient, OidcError
from unicrm.core.authz.oidc_models import OidcLoginAttempt, OidcUserLink
from unicrm.core.authz.oidc_users import ProvisionedRole, provisioned_roles
from unicrm.core.authz.tokens import decode_access_token
from unicrm.core.config import load_settings
from unicrm.core.db.types import utcnow
from unicrm.core.errors import ConfigError
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.departments.services import create_department
from unicrm.core.graph.ids import from_global_id
from unicrm.core.graph.users.models import User, UserDepartment
from unicrm.core.graph.users.services import create_user, disable_user
from unicrm.core.state import AppState, create_state
from unicrm.core.testing.pytest_plugin import TEST_AUTH
from unicrm.schema.composer import build_schema

LOGIN = "http://unicrm.test/auth/oidc/login"


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[IdentityProvider]:
    with serving() as provider:
        yield provider


@pytest.fixture
def idp(identity_provider: IdentityProvider) -> IdentityProvider:
    identity_provider.reset()
    return identity_provider


def oidc_settings(idp: IdentityProvider, **overrides: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "issuer": idp.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "role": "sales_rep",
        **overrides,
    }


Browser = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def browser(
    unicrm_state: AppState, unicrm_plugins: dict[str, object], idp: IdentityProvider
) -> Browser:
    """``async with browser(**oidc_overrides) as http``: a browser at a UniCRM whose single
    sign-on points at the test identity provider (on the test database)."""

    @contextlib.asynccontextmanager
    async def open_browser(
        follow: bool = True, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = load_settings(
            database_url=unicrm_state.settings.database_url,
            plugins=list(unicrm_plugins),
            environment="test",
            oidc=oidc_settings(idp, **overrides),
            auth=TEST_AUTH,
        )
        state = create_state(settings, plugins=unicrm_plugins, schema_factory=build_schema)
        app = create_app(state=state)
        mounts = {"http://unicrm.test": httpx.ASGITransport(app=app)}
        try:
            async with httpx.AsyncClient(
                mounts=mounts, follow_redirects=follow, headers={"User-Agent": "test-browser"}
            ) as http:
                yield http
        finally:
            await state.db.dispose()

    return open_browser


async def callback_url(http: httpx.AsyncClient) -> str:
    """Walk a sign-in up to (not including) UniCRM's callback; return the callback URL."""
    login = await http.get(LOGIN)
    assert login.status_code == 302, login.text
    at_idp = await http.get(login.headers["location"])
    assert at_idp.status_code == 302, at_idp.text
    return at_idp.headers["location"]


def error_code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def count(state: AppState, model: type) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def nothing_provisioned(state: AppState) -> bool:
    return (
        await count(state, User),
        await count(state, OidcUserLink),
        await count(state, AuthSession),
    ) == (0, 0, 0)


# --- the happy path --------------------------------------------------------------------


async def test_sign_in_provisions_the_user_and_answers_with_unicrm_tokens(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    async with browser() as http:
        response = await http.get(LOGIN)
        assert response.status_code == 200, response.text
        body = response.json()
        refreshed = await http.post(
            "http://unicrm.test/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
        )
    assert refreshed.status_code == 200, refreshed.text  # a session like any other
    assert response.url.path == "/auth/oidc/callback"
    assert response.headers["cache-control"] == "no-store"
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 15 * 60
    assert body["user"]["email"] == "somchai@example.com"
    assert body["user"]["display_name"] == "Somchai Jaidee"
    user_id = from_global_id(body["user"]["id"])[1]
    claims = decode_access_token(unicrm_state.settings, body["access_token"])
    assert claims.user_id == user_id
    assert body["refresh_token"]

    async with unicrm_state.db.session() as session:
        user = await session.get_one(User, user_id)
        default = await session.scalar(select(Department).where(Department.is_default))
        memberships = (await session.scalars(select(UserDepartment.department_id))).all()
        link = await session.scalar(select(OidcUserLink))
        auth_session = await session.get_one(AuthSession, claims.session_id)
        attempts = await session.scalar(select(func.count()).select_from(OidcLoginAttempt))
    assert (user.email, user.password_hash, user.is_active) == ("somchai@example.com", None, True)
    assert user.primary_department_id == default.id and memberships == [default.id]
    assert (link.issuer, link.subject, link.user_id) == (idp.issuer, "idp-user-1", user_id)
    assert (link.role, link.department_id) == ("sales_rep", default.id)
    assert (auth_session.method, auth_session.user_agent) == ("sso", "test-browser")
    assert attempts == 0  # the state was used up

    # UniCRM used PKCE S256 and authenticated itself with client_secret_basic.
    [exchange] = idp.token_requests
    assert exchange["authorization"].startswith("Basic ")
    assert exchange["grant_type"] == "authorization_code"
    assert "client_secret" not in exchange and len(exchange["code_verifier"]) >= 43


async def test_login_redirect_carries_state_nonce_and_an_s256_challenge(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    async with browser(follow=False, scopes="openid,email") as http:
        response = await http.get(LOGIN)
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    params = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{idp.issuer}/authorize"
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI and params["scope"] == "openid email"
    assert params["code_challenge_method"] == "S256"
    async with unicrm_state.db.session() as session:
        attempt = await session.get_one(OidcLoginAttempt, params["state"])
    assert attempt.nonce == params["nonce"]
    assert attempt.code_verifier not in response.headers["location"]
    assert timedelta(minutes=9) < attempt.expires_at - utcnow() <= timedelta(minutes=10)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/auth/oidc/callback" in cookie
    assert "samesite=lax" in cookie.lower()


async def test_a_second_sign_in_reuses_the_provisioned_user(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    async with browser() as http:
        first = (await http.get(LOGIN)).json()
        idp.user.name = "Somchai J."
        second = (await http.get(LOGIN)).json()
    assert first["user"]["id"] == second["user"]["id"]
    assert first["refresh_token"] != second["refresh_token"]
    assert (await count(unicrm_state, User), await count(unicrm_state, OidcUserLink)) == (1, 1)
    assert await count(unicrm_state, AuthSession) == 2
    assert idp.hits["discovery"] == 1 and idp.hits["jwks"] == 1  # both cached


async def test_an_existing_user_with_the_verified_email_is_linked_not_duplicated(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    async with unicrm_state.db.transaction() as session:
        await create_department(
            session, unicrm_state.registry, slug="sales", name="Sales", plugins=["sfa"]
        )
        existing = await create_user(
            session, email="Somchai@Example.com", display_name="Somchai", departments=["sales"]
        )
    async with browser(department="sales") as http:
        response = await http.get(LOGIN)
    assert response.status_code == 200, response.text
    assert from_global_id(response.json()["user"]["id"])[1] == existing.id
    async with unicrm_state.db.session() as session:
        link = await session.scalar(select(OidcUserLink))
        assert (link.user_id, link.role, link.department_id) == (existing.id, None, None)
        assert await provisioned_roles(session) == []
    assert await count(unicrm_state, User) == 1


async def test_provisioned_users_join_the_configured_department_with_the_configured_role(
    browser: Browser, unicrm_state: AppState
):
    async with unicrm_state.db.transaction() as session:
        await create_department(
            session, unicrm_state.registry, slug="sales", name="Sales", plugins=["sfa"]
        )
    async with browser(department="sales", role="sales_manager") as http:
        body = (await http.get(LOGIN)).json()
    user_id = from_global_id(body["user"]["id"])[1]
    async with unicrm_state.db.session() as session:
        user = await session.get_one(User, user_id)
        sales = await session.scalar(select(Department).where(Department.slug == "sales"))
        assert user.primary_department_id == sales.id
        assert await provisioned_roles(session, user_id) == [
            ProvisionedRole(user_id=user_id, role="sales_manager", department="sales")
        ]
        assert await provisioned_roles(session, uuid.uuid4()) == []


async def test_an_allowed_domain_signs_in(browser: Browser, unicrm_state: AppState):
    async with browser(allowed_domains="example.org, EXAMPLE.com") as http:
        response = await http.get(LOGIN)
    assert response.status_code == 200, response.text


async def test_client_secret_post_when_the_provider_offers_only_that(
    browser: Browser, idp: IdentityProvider
):
    idp.auth_methods = ["client_secret_post"]
    async with browser() as http:
        assert (await http.get(LOGIN)).status_code == 200
    [exchange] = idp.token_requests
    assert exchange["authorization"] == "" and exchange["client_secret"] == CLIENT_SECRET


async def test_keys_rotated_at_the_provider_are_fetched_once(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    async with browser() as http:
        assert (await http.get(LOGIN)).status_code == 200
        old_kid = idp.key.kid
        new_key = idp.rotate()
        assert new_key.kid != old_kid
        rotated = await http.get(LOGIN)
        assert rotated.status_code == 200, rotated.text
        assert idp.hits["jwks"] == 2  # the unknown kid refetched the key set once
        assert (await http.get(LOGIN)).status_code == 200
        assert idp.hits["jwks"] == 2 and idp.hits["discovery"] == 1
    assert await count(unicrm_state, User) == 1


# --- failures: a clear error and nothing provisioned ---------------------------------


async def test_the_provider_refusing_is_an_idp_error(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    idp.deny = "access_denied"
    async with browser() as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (400, "OIDC_IDP_ERROR")
    assert "declined" in response.json()["errors"][0]["message"]
    assert await nothing_provisioned(unicrm_state)


async def test_a_replayed_callback_in_the_same_browser_is_refused(
    browser: Browser, unicrm_state: AppState
):
    async with browser(follow=False) as http:
        url = await callback_url(http)
        cookie = http.cookies.get("unicrm_oidc")
        assert (await http.get(url)).status_code == 200
        http.cookies.set("unicrm_oidc", cookie, domain="unicrm.test", path="/auth/oidc/callback")
        again = await http.get(url)
    assert (again.status_code, error_code(again)) == (400, "OIDC_INVALID_STATE")
    assert await count(unicrm_state, AuthSession) == 1


@pytest.mark.parametrize(
    "query",
    ["", "?code=abc", "?code=abc&state=unknown-state", "?state=" + "x" * 500],
    ids=["nothing", "no-state", "unknown-state", "oversized-state"],
)
async def test_a_callback_without_a_known_state_is_refused(
    browser: Browser, unicrm_state: AppState, query: str
):
    async with browser() as http:
        response = await http.get(f"http://unicrm.test/auth/oidc/callback{query}")
        assert (response.status_code, error_code(response)) == (400, "OIDC_INVALID_STATE")
        assert await nothing_provisioned(unicrm_state)


@pytest.mark.parametrize("victim_started", [False, True], ids=["no-cookie", "own-cookie"])
async def test_a_callback_in_another_browser_is_refused_and_uses_the_state_up(
    browser: Browser, unicrm_state: AppState, victim_started: bool
):
    async with browser(follow=False) as victim, browser(follow=False) as attacker:
        if victim_started:  # the victim's browser holds a cookie of its own sign-in
            assert (await victim.get(LOGIN)).status_code == 302
        url = await callback_url(attacker)
        response = await victim.get(url)
        assert (response.status_code, error_code(response)) == (400, "OIDC_INVALID_STATE")
        late = await attacker.get(url)
        assert (late.status_code, error_code(late)) == (400, "OIDC_INVALID_STATE")
    assert await nothing_provisioned(unicrm_state)


async def test_an_expired_state_is_refused(browser: Browser, unicrm_state: AppState):
    async with browser(follow=False) as http:
        url = await callback_url(http)
        async with unicrm_state.db.transaction() as session:
            await session.execute(
                update(OidcLoginAttempt).values(expires_at=utcnow() - timedelta(seconds=1))
            )
        response = await http.get(url)
    assert (response.status_code, error_code(response)) == (400, "OIDC_STATE_EXPIRED")
    assert await nothing_provisioned(unicrm_state)
    assert await count(unicrm_state, OidcLoginAttempt) == 0


async def test_a_callback_without_a_code_is_refused(browser: Browser, unicrm_state: AppState):
    async with browser(follow=False) as http:
        url = await callback_url(http)
        state = parse_qs(urlsplit(url).query)["state"][0]
        response = await http.get(f"http://unicrm.test/auth/oidc/callback?state={state}")
    assert (response.status_code, error_code(response)) == (400, "OIDC_MISSING_CODE")
    assert await nothing_provisioned(unicrm_state)


async def test_a_response_naming_another_issuer_is_refused(
    browser: Browser, unicrm_state: AppState
):
    async with browser(follow=False) as http:
        url = await callback_url(http)
        response = await http.get(f"{url}&iss=https%3A%2F%2Fevil.example")
    assert (response.status_code, error_code(response)) == (401, "OIDC_WRONG_ISSUER")
    assert await nothing_provisioned(unicrm_state)


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        ({"nonce": "another-sign-in"}, 401, "OIDC_WRONG_NONCE"),
        ({"aud": "another-client"}, 401, "OIDC_WRONG_AUDIENCE"),
        (
            {"aud": [CLIENT_ID, "another-client"], "azp": "another-client"},
            401,
            "OIDC_WRONG_AUDIENCE",
        ),
        ({"iss": "https://evil.example"}, 401, "OIDC_WRONG_ISSUER"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, 401, "OIDC_TOKEN_EXPIRED"),
        ({"sub": ""}, 401, "OIDC_INVALID_TOKEN"),
        ({"email_verified": False}, 401, "OIDC_EMAIL_NOT_VERIFIED"),
        ({"email": "not an address"}, 401, "OIDC_EMAIL_NOT_VERIFIED"),
    ],
    ids=[
        "wrong-nonce",
        "wrong-audience",
        "another-authorized-party",
        "wrong-issuer",
        "expired",
        "no-subject",
        "unverified-email",
        "invalid-email",
    ],
)
async def test_a_bad_id_token_is_refused(
    browser: Browser,
    idp: IdentityProvider,
    unicrm_state: AppState,
    claims: dict[str, Any],
    status: int,
    code: str,
):
    idp.claims = claims
    async with browser() as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (status, code), response.text
    assert await nothing_provisioned(unicrm_state)


async def test_an_id_token_without_an_email_cannot_provision(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    idp.user.email = None
    async with browser() as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (401, "OIDC_EMAIL_NOT_VERIFIED")
    assert await nothing_provisioned(unicrm_state)


async def test_a_forged_signature_is_refused(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    forger = SigningKey.generate()
    idp.sign_with = SigningKey(idp.key.kid, forger.private)  # the published kid, another key
    async with browser() as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (401, "OIDC_BAD_SIGNATURE")
    assert await nothing_provisioned(unicrm_state)


async def test_an_unknown_key_is_refused_after_one_refetch(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    async with browser() as http:
        assert (await http.get(LOGIN)).status_code == 200
        idp.sign_with = SigningKey.generate()  # a kid the provider does not publish
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (401, "OIDC_BAD_SIGNATURE")
    assert idp.hits["jwks"] == 2
    assert await count(unicrm_state, OidcUserLink) == 1


async def test_a_disallowed_email_domain_is_refused(browser: Browser, unicrm_state: AppState):
    async with browser(allowed_domains="example.co.th") as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (403, "OIDC_DOMAIN_NOT_ALLOWED")
    assert "example.com" in response.json()["errors"][0]["message"]
    assert await nothing_provisioned(unicrm_state)


async def test_a_linked_user_whose_domain_is_no_longer_allowed_is_refused(
    browser: Browser, unicrm_state: AppState
):
    async with browser() as http:
        assert (await http.get(LOGIN)).status_code == 200
    async with browser(allowed_domains="example.co.th") as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (403, "OIDC_DOMAIN_NOT_ALLOWED")
    assert await count(unicrm_state, AuthSession) == 1


async def test_a_disabled_user_cannot_sign_in(browser: Browser, unicrm_state: AppState):
    async with browser() as http:
        assert (await http.get(LOGIN)).status_code == 200
        async with unicrm_state.db.transaction() as session:
            await disable_user(session, "somchai@example.com")
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (403, "OIDC_USER_DISABLED")
    assert await count(unicrm_state, AuthSession) == 1


async def test_a_wrong_client_secret_is_refused_by_the_provider(
    browser: Browser, unicrm_state: AppState
):
    async with browser(client_secret="not-the-secret") as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (401, "OIDC_CODE_REJECTED")
    assert "invalid_client" in response.json()["errors"][0]["message"]
    assert await nothing_provisioned(unicrm_state)


async def test_a_missing_department_is_a_configuration_error(
    browser: Browser, unicrm_state: AppState
):
    async with browser(department="no-such-department") as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (500, "OIDC_MISCONFIGURED")
    assert "no-such-department" in response.json()["errors"][0]["message"]
    assert await nothing_provisioned(unicrm_state)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_unreachable_provider_is_reported_and_nothing_is_stored(
    browser: Browser, unicrm_state: AppState
):
    async with browser(issuer=f"http://127.0.0.1:{_closed_port()}") as http:
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (502, "OIDC_IDP_UNAVAILABLE")
    assert await count(unicrm_state, OidcLoginAttempt) == 0


async def test_a_discovery_document_of_another_issuer_is_refused(
    browser: Browser, idp: IdentityProvider, unicrm_state: AppState
):
    async with browser(issuer=f"{idp.issuer}/") as http:  # not exactly the provider's issuer
        response = await http.get(LOGIN)
    assert (response.status_code, error_code(response)) == (502, "OIDC_IDP_UNAVAILABLE")
    assert "issuer" in response.json()["errors"][0]["message"]
    assert await count(unicrm_state, OidcLoginAttempt) == 0


def _unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    parts = (b64url(json.dumps(p).encode()) for p in (header, claims))
    return ".".join(parts) + "."


async def test_unsigned_and_shared_secret_id_tokens_are_refused(idp: IdentityProvider):
    client = OidcClient(load_settings(oidc=oidc_settings(idp)).oidc)
    claims = {"iss": idp.issuer, "sub": "x", "aud": CLIENT_ID, "iat": 1, "exp": 2**40}
    unsigned = _unsigned(claims, {"alg": "none", "kid": idp.key.kid})
    secret = CLIENT_SECRET * 2  # the classic confusion: a token "signed" with a shared secret
    shared = jwt.encode(claims, secret, algorithm="HS256", headers={"kid": idp.key.kid})
    for token in (unsigned, shared, "not-a-token"):
        with pytest.raises(OidcError) as raised:
            await client.verify_id_token(token, nonce="n")
        assert raised.value.code == "OIDC_INVALID_TOKEN"


async def test_single_sign_on_is_not_served_unless_enabled(client: httpx.AsyncClient):
    for path in ("/auth/oidc/login", "/auth/oidc/callback"):
        assert (await client.get(path)).status_code == 404


def test_production_refuses_plain_http_single_sign_on(
    idp: IdentityProvider, unicrm_plugins: dict[str, object], tmp_path
):
    settings = load_settings(
        environment="production",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        plugins=list(unicrm_plugins),
        oidc=oidc_settings(idp),
    )
    state = create_state(settings, plugins=unicrm_plugins, schema_factory=build_schema)
    with pytest.raises(ConfigError, match=r"oidc.issuer .* production needs an https URL"):
        oidc_routes.routes(state)


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oidc", "message"),
    [
        ({"enabled": True}, "issuer is required"),
        ({"issuer": "ftp://idp.example"}, "absolute http(s) URL"),
        ({"redirect_uri": "/relative"}, "absolute http(s) URL"),
        ({"scopes": "email,profile"}, "includes openid"),
        ({"scopes": "[openid"}, "comma-separated list"),
        ({"mystery": 1}, "unknown setting"),
    ],
    ids=["incomplete", "issuer", "redirect", "scopes", "scopes-json", "unknown"],
)
def test_bad_single_sign_on_settings_are_one_clear_error(oidc: dict[str, Any], message: str):
    with pytest.raises(ConfigError, match="bad setting oidc") as raised:
        load_settings(oidc=oidc)
    assert message in str(raised.value)


def test_single_sign_on_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("UNICRM_OIDC__ENABLED", "true")
    monkeypatch.setenv("UNICRM_OIDC__ISSUER", "https://login.example.com")
    monkeypatch.setenv("UNICRM_OIDC__CLIENT_ID", "crm")
    monkeypatch.setenv("UNICRM_OIDC__CLIENT_SECRET", "hunter2")
    monkeypatch.setenv("UNICRM_OIDC__REDIRECT_URI", "https://crm.example.com/auth/oidc/callback")
    monkeypatch.setenv("UNICRM_OIDC__SCOPES", "openid, email")
    monkeypatch.setenv("UNICRM_OIDC__ALLOWED_DOMAINS", "Example.com,@example.co.th")
    settings = load_settings()
    assert settings.oidc.enabled and settings.oidc.scopes == ["openid", "email"]
    assert settings.oidc.allowed_domains == ["example.com", "example.co.th"]
    public = settings.public_dict()
    assert public["oidc"]["client_secret"] == "**********"
    assert "hunter2" not in repr(public)
