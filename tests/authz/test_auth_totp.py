"""TOTP two-factor sign-in: RFC 6238 codes, enrollment, sign-in with a code, replay, disabling."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlparse

import jwt
import pytest
from sqlalchemy import select

from authz.auth_support import client_for, count, graphql, login, make_user, tokens, with_auth
from unicrm.core.authz import totp
from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.models import AuthSession, TotpCredential
from unicrm.core.authz.store import load_policies, to_row
from unicrm.core.authz.tokens import issue_enrollment_token
from unicrm.core.config import load_settings
from unicrm.core.db.types import utcnow

RFC_SHA1 = b"12345678901234567890"
RFC_SHA256 = b"12345678901234567890123456789012"
RFC_SHA512 = RFC_SHA1 * 3 + b"1234"

ENROLL = "mutation { totpEnroll { secret uri errors { field code } } }"
CONFIRM = """
mutation($input: TotpConfirmInput!) { totpConfirm(input: $input) { enabled errors { field code } } }
"""
DISABLE = """
mutation($input: TotpCodeInput!) { totpDisable(input: $input) { enabled errors { field code } } }
"""


@pytest.mark.parametrize(
    ("moment", "sha1", "sha256", "sha512"),
    [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ],
    ids=["59", "1111111109", "1111111111", "1234567890", "2000000000", "20000000000"],
)
def test_codes_match_the_rfc_6238_test_vectors(moment, sha1, sha256, sha512):
    step = totp.step_at(moment)
    assert totp.hotp(RFC_SHA1, step, 8, "sha1") == sha1
    assert totp.hotp(RFC_SHA256, step, 8, "sha256") == sha256
    assert totp.hotp(RFC_SHA512, step, 8, "sha512") == sha512


def code_for(secret: str, offset_steps: int = 0) -> str:
    step = totp.step_at(time.time()) + offset_steps
    return totp.hotp(totp._key(secret), step)


async def enrolled_user(anonymous_client, unicrm_state) -> tuple[str, dict]:
    """A user with confirmed TOTP: their secret and the tokens of the enrolling session."""
    await make_user(unicrm_state)
    issued = await tokens(anonymous_client)
    enrolled = (await graphql(anonymous_client, ENROLL, token=issued["accessToken"])).json()
    secret = enrolled["data"]["totpEnroll"]["secret"]
    confirm = await graphql(
        anonymous_client,
        CONFIRM,
        {"input": {"code": code_for(secret, -1)}},
        token=issued["accessToken"],
    )
    assert confirm.json()["data"]["totpConfirm"] == {"enabled": True, "errors": []}
    return secret, issued


async def test_enrollment_shows_a_secret_and_otpauth_uri(anonymous_client, unicrm_state):
    await make_user(unicrm_state)
    issued = await tokens(anonymous_client)

    body = (await graphql(anonymous_client, ENROLL, token=issued["accessToken"])).json()

    enrolled = body["data"]["totpEnroll"]
    uri = urlparse(enrolled["uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/UniCRM:somchai@example.com"
    assert parse_qs(uri.query)["secret"] == [enrolled["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["UniCRM"]
    # not yet confirmed: signing in still needs only the password
    assert (await login(anonymous_client))["data"]["login"]["tokens"]


async def test_an_enrolled_user_signs_in_with_a_code_used_only_once(anonymous_client, unicrm_state):
    secret, _ = await enrolled_user(anonymous_client, unicrm_state)

    without = await login(anonymous_client)
    wrong = await login(
        anonymous_client, totp_code="000000" if code_for(secret) != "000000" else "111111"
    )
    code = code_for(secret)
    good = await login(anonymous_client, totp_code=code)
    replayed = await login(anonymous_client, totp_code=code)

    assert without["errors"][0]["extensions"]["reason"] == "TOTP_REQUIRED"
    assert wrong["errors"][0]["extensions"]["reason"] == "INVALID_TOTP"
    assert good["data"]["login"]["tokens"]["accessToken"]
    assert replayed["errors"][0]["extensions"]["reason"] == "INVALID_TOTP"


async def test_disabling_needs_a_current_code_then_the_password_is_enough(
    anonymous_client, unicrm_state
):
    secret, issued = await enrolled_user(anonymous_client, unicrm_state)
    token = issued["accessToken"]

    refused = await graphql(anonymous_client, DISABLE, {"input": {"code": "12"}}, token=token)
    done = await graphql(
        anonymous_client, DISABLE, {"input": {"code": code_for(secret)}}, token=token
    )

    assert refused.json()["data"]["totpDisable"] == {
        "enabled": True,
        "errors": [{"field": "code", "code": "INVALID_CODE"}],
    }
    assert done.json()["data"]["totpDisable"] == {"enabled": False, "errors": []}
    assert await count(unicrm_state, TotpCredential) == 0
    assert (await login(anonymous_client))["data"]["login"]["tokens"]


async def test_totp_mutations_refuse_bad_input_and_anonymous_callers(
    anonymous_client, unicrm_state
):
    secret, issued = await enrolled_user(anonymous_client, unicrm_state)
    token = issued["accessToken"]
    sessions_before = await count(unicrm_state, AuthSession)

    again = (await graphql(anonymous_client, ENROLL, token=token)).json()
    confirm_again = await graphql(
        anonymous_client, CONFIRM, {"input": {"code": code_for(secret)}}, token=token
    )
    anonymous = [
        (await graphql(anonymous_client, ENROLL)).json(),
        (await graphql(anonymous_client, CONFIRM, {"input": {"code": "123456"}})).json(),
        (await graphql(anonymous_client, DISABLE, {"input": {"code": "123456"}})).json(),
    ]

    assert again["data"]["totpEnroll"] == {
        "secret": None,
        "uri": None,
        "errors": [{"field": None, "code": "ALREADY_ENROLLED"}],
    }
    assert confirm_again.json()["data"]["totpConfirm"]["errors"][0]["code"] == "ALREADY_ENROLLED"
    for body in anonymous:
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with unicrm_state.db.session() as session:
        row = await session.get(TotpCredential, issued_user_id(issued))
    assert row.confirmed_at is not None
    assert secret not in row.sealed_secret
    assert totp.unseal(unicrm_state.settings, row.user_id, row.sealed_secret) == totp._key(secret)
    assert await count(unicrm_state, AuthSession) == sessions_before


async def test_confirming_needs_an_enrollment_and_a_valid_code(anonymous_client, unicrm_state):
    await make_user(unicrm_state)
    token = (await tokens(anonymous_client))["accessToken"]

    early = await graphql(anonymous_client, CONFIRM, {"input": {"code": "123456"}}, token=token)
    await graphql(anonymous_client, ENROLL, token=token)
    bad = await graphql(anonymous_client, CONFIRM, {"input": {"code": "abcdef"}}, token=token)

    assert early.json()["data"]["totpConfirm"]["errors"] == [
        {"field": None, "code": "NOT_ENROLLED"}
    ]
    assert bad.json()["data"]["totpConfirm"]["errors"] == [
        {"field": "code", "code": "INVALID_CODE"}
    ]
    assert not await totp_confirmed(unicrm_state)


def issued_user_id(issued: dict) -> uuid.UUID:
    return uuid.UUID(jwt.decode(issued["accessToken"], options={"verify_signature": False})["sub"])


async def totp_confirmed(state) -> bool:
    async with state.db.session() as session:
        row = await session.scalar(select(TotpCredential))
    return row is not None and row.confirmed_at is not None


def test_a_seed_sealed_under_another_secret_key_opens_for_no_one():
    settings = load_settings(environment="test", secret_key="first-secret-key-of-this-install")
    other = load_settings(environment="test", secret_key="second-secret-key-after-a-change")
    user, secret = uuid.uuid4(), totp.new_secret()

    sealed = totp.seal(settings, user, secret)

    assert totp.unseal(settings, user, sealed) == totp._key(secret)
    assert totp.unseal(settings, uuid.uuid4(), sealed) is None
    assert totp.unseal(other, user, sealed) is None
    assert totp.matching_step(None, "123456") is None


ENROLL_WITH = """
mutation($input: TotpEnrollInput) { totpEnroll(input: $input) { secret errors { code } } }
"""


async def test_roles_that_require_two_factor_sign_in_enroll_before_their_first_session(
    unicrm_state,
):
    required = with_auth(unicrm_state, totp_required_roles=["admin"])
    admin = await make_user(required, "admin@example.com")
    await make_user(required, "clerk@example.com")
    async with required.db.transaction() as session:
        session.add(to_row(Rule.link(f"user:{admin.id}", "admin", "*")))
    await load_policies(required)

    async with client_for(required) as http:
        clerk = await login(http, "clerk@example.com")
        refused = await login(http, "admin@example.com")
        endpoint = await http.post(
            "/auth/token",
            data={
                "grant_type": "password",
                "username": "admin@example.com",
                "password": "correct horse battery",
            },
        )
        (error,) = refused["errors"]
        enrollment = error["extensions"]["enrollmentToken"]
        as_bearer = await graphql(http, "{ viewer { kind } }", token=enrollment)
        forged = await graphql(http, ENROLL_WITH, {"input": {"enrollmentToken": enrollment + "x"}})
        started = await graphql(http, ENROLL_WITH, {"input": {"enrollmentToken": enrollment}})
        secret = started.json()["data"]["totpEnroll"]["secret"]
        confirmed = await graphql(
            http,
            CONFIRM,
            {"input": {"code": code_for(secret, -1), "enrollmentToken": enrollment}},
        )
        signed_in = await login(http, "admin@example.com", totp_code=code_for(secret))

    assert clerk["data"]["login"]["tokens"]["accessToken"]  # no required role: no second factor
    assert error["extensions"]["reason"] == "TOTP_ENROLLMENT_REQUIRED"
    assert endpoint.status_code == 400
    assert endpoint.json()["reason"] == "TOTP_ENROLLMENT_REQUIRED"
    assert endpoint.json()["enrollment_token"]
    assert as_bearer.status_code == 401  # an enrollment token is not an access token
    assert forged.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert confirmed.json()["data"]["totpConfirm"] == {"enabled": True, "errors": []}
    assert signed_in["data"]["login"]["tokens"]["accessToken"]
    assert await count(required, AuthSession) == 2  # the clerk's and the enrolled admin's


async def test_an_expired_enrollment_token_enrolls_nobody(anonymous_client, unicrm_state):
    user = await make_user(unicrm_state)
    stale = issue_enrollment_token(
        unicrm_state.settings, user_id=user.id, now=utcnow() - timedelta(minutes=11)
    )

    body = (
        await graphql(anonymous_client, ENROLL_WITH, {"input": {"enrollmentToken": stale}})
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"] == "the enrollment token has expired"
    assert await count(unicrm_state, TotpCredential) == 0
