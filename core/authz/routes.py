"""``POST /auth/token``: OAuth 2.0 token endpoint (RFC 6749 sections 4.3, 5 and 6).

Takes a form (``application/x-www-form-urlencoded``) or a JSON object with ``grant_type``
``password`` (``username``, ``password``, optional ``totp_code``) or ``refresh_token``
(``refresh_token``). Success is 200 with ``access_token``, ``token_type``, ``expires_in``
and ``refresh_token``; failures are RFC 6749 error bodies (``{"error": "invalid_grant",
"error_description": ...}``), and too many failed sign-ins are 429 with ``Retry-After``.
Responses are never cached.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unicrm.core.authz.login import LoginFailed, password_login
from unicrm.core.authz.sessions import IssuedTokens, refresh_session
from unicrm.core.authz.throttle import LoginThrottled
from unicrm.core.authz.tokens import InvalidToken
from unicrm.core.db.types import utcnow
from unicrm.core.state import AppState

MAX_BODY = 16_384
MAX_FIELD = 4096
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenError(Exception):
    """A refused token request: an RFC 6749 ``error`` code, a description and a status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


async def _params(request: Request) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TokenError("invalid_request", "the request body is too large", 413)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise TokenError("invalid_request", "the request body is too large", 413)
    if media == "application/json":
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise TokenError("invalid_request", "the body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise TokenError("invalid_request", "the body must be a JSON object")
        return parsed
    if media == "application/x-www-form-urlencoded":
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raise TokenError(
        "invalid_request", "send application/x-www-form-urlencoded or application/json", 415
    )


def _optional(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_FIELD:
        raise TokenError("invalid_request", f"{name} must be a string")
    return value


def _required(params: dict[str, Any], name: str) -> str:
    value = _optional(params, name)
    if value is None:
        raise TokenError("invalid_request", f"{name} is required")
    return value


def _granted(tokens: IssuedTokens) -> dict[str, Any]:
    now = utcnow()
    return {
        "access_token": tokens.access_token,
        "token_type": tokens.token_type,
        "expires_in": math.floor((tokens.access_token_expires_at - now).total_seconds()),
        "refresh_token": tokens.refresh_token,
        "refresh_token_expires_in": math.floor(
            (tokens.refresh_token_expires_at - now).total_seconds()
        ),
    }


async def _grant(request: Request, state: AppState) -> IssuedTokens:
    params = await _params(request)
    grant_type = _required(params, "grant_type")
    if grant_type == "password":
        return await password_login(
            state.db,
            state.settings,
            email=_required(params, "username"),
            password=_required(params, "password"),
            totp_code=_optional(params, "totp_code"),
            client_address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
            authz=state.authz,
        )
    if grant_type == "refresh_token":
        token = _required(params, "refresh_token")
        return await refresh_session(state.db, token, settings=state.settings)
    raise TokenError("unsupported_grant_type", "grant_type must be password or refresh_token")


async def token_endpoint(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    try:
        return _json(_granted(await _grant(request, state)))
    except TokenError as exc:
        return _json({"error": exc.error, "error_description": exc.description}, exc.status)
    except LoginThrottled as exc:
        body = {"error": "rate_limited", "error_description": exc.message}
        return _json(body, 429, {"Retry-After": str(exc.retry_after)})
    except LoginFailed as exc:
        body = {"error": "invalid_grant", "error_description": exc.message, "reason": exc.reason}
        if exc.enrollment_token is not None:
            body["enrollment_token"] = exc.enrollment_token
        return _json(body, 400)
    except InvalidToken as exc:
        return _json({"error": "invalid_grant", "error_description": exc.message}, 400)


ROUTES = [Route("/auth/token", token_endpoint, methods=["POST"])]
