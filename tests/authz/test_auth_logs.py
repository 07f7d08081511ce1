"""No credential ever reaches a log line, a logged exception or an error answer."""

from __future__ import annotations

import logging
import time

from authz.auth_support import PASSWORD, bearer, graphql, login, make_user, tokens
from unicrm.core.authz import totp

REFRESH = """
mutation($input: TokenRefreshInput!) { tokenRefresh(input: $input) { tokens { accessToken } } }
"""
CREATE_KEY = """
mutation { apiKeyCreate(input: {name: "POS", department: "default", role: "admin"}) { key } }
"""
ENROLL = "mutation { totpEnroll { secret } }"
CONFIRM = "mutation($code: String!) { totpConfirm(input: {code: $code}) { enabled } }"
PROBE = "{ apiKeys { id } }"
WRONG_PASSWORD = "wrong-but-secret-password-4711"


def current_code(secret: str) -> str:
    return totp.hotp(totp._key(secret), totp.step_at(time.time()))


async def test_credentials_stay_out_of_logs_and_errors(
    anonymous_client, client, unicrm_state, caplog
):
    caplog.set_level(logging.DEBUG)
    await make_user(unicrm_state)
    answers: list[str] = []

    answers.append(str(await login(anonymous_client, password=WRONG_PASSWORD)))
    answers.append(
        str(await login(anonymous_client, email="nobody@example.com", password=WRONG_PASSWORD))
    )
    issued = await tokens(anonymous_client)
    rotated = await graphql(
        anonymous_client, REFRESH, {"input": {"refreshToken": issued["refreshToken"]}}
    )
    replay = await graphql(
        anonymous_client, REFRESH, {"input": {"refreshToken": issued["refreshToken"]}}
    )
    answers += [rotated.text, replay.text]
    fresh = await tokens(anonymous_client)
    key = await graphql(client, CREATE_KEY)  # as the test kit's admin
    api_key = key.json()["data"]["apiKeyCreate"]["key"]
    answers.append((await graphql(anonymous_client, PROBE, token=api_key)).text)
    answers.append((await graphql(anonymous_client, PROBE, token=api_key[:-3] + "xyz")).text)
    answers.append((await graphql(anonymous_client, PROBE, token=issued["accessToken"])).text)
    answers.append((await graphql(anonymous_client, PROBE, token=fresh["accessToken"] + "x")).text)
    secret = (await graphql(anonymous_client, ENROLL, token=fresh["accessToken"])).json()["data"][
        "totpEnroll"
    ]["secret"]
    code = current_code(secret)
    await graphql(anonymous_client, CONFIRM, {"code": code}, token=fresh["accessToken"])
    answers.append(str(await login(anonymous_client, totp_code=code)))  # replayed code
    for body in (
        {"grant_type": "password", "username": "somchai@example.com", "password": WRONG_PASSWORD},
        {"grant_type": "refresh_token", "refresh_token": fresh["refreshToken"] + "x"},
    ):
        answers.append((await anonymous_client.post("/auth/token", json=body)).text)
    answers.append(
        (
            await anonymous_client.post(
                "/graphql", json={"query": PROBE}, headers=bearer("ucrm_x_y")
            )
        ).text
    )

    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "access token": issued["accessToken"],
        "fresh access token": fresh["accessToken"],
        "refresh token": issued["refreshToken"],
        "fresh refresh token": fresh["refreshToken"],
        "api key secret": api_key.split("_", 2)[2],
        "totp secret": secret,
    }
    logged = caplog.text + "".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert caplog.records, "the scenario logs something (SQL, requests)"
    for name, value in secrets.items():
        assert value not in logged, f"{name} in the logs"
        for answer in answers:
            assert value not in answer, f"{name} in an error answer"
