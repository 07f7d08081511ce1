"""The single sign-on endpoints: ``GET /auth/oidc/login`` and ``GET /auth/oidc/callback``.

They are served only when ``oidc.enabled`` is set. The login endpoint redirects the browser
to the identity provider and keeps a random secret in a short-lived cookie scoped to the
callback's path. The callback answers with UniCRM tokens, in the body ``POST /auth/token``
answers with (``access_token``, ``refresh_token``, ``expires_in``, ...) plus the ``user``; or
with an error ``{"errors": [{"message", "extensions": {"code"}}]}`` and the status of its
``Failure``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from unicrm.core.authz import auth_audit
from unicrm.core.authz.oidc import LOGIN_TTL, OidcClient, OidcError
from unicrm.core.authz.oidc_users import sign_in_user
from unicrm.core.authz.routes import NO_STORE, _granted
from unicrm.core.authz.sessions import IssuedTokens, start_session
from unicrm.core.config import Settings
from unicrm.core.errors import ConfigError
from unicrm.core.graph.context import Actor
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.users.models import User
from unicrm.core.state import AppState

log = logging.getLogger("unicrm.oidc")

COOKIE = "unicrm_oidc"


def _signed_in(user: User, tokens: IssuedTokens) -> Response:
    """The body ``POST /auth/token`` answers with, and the user who signed in."""
    user_body = {
        "id": to_global_id("User", user.id),
        "email": user.email,
        "display_name": user.display_name,
    }
    return JSONResponse(_granted(tokens) | {"user": user_body}, headers=NO_STORE)


def _error(exc: OidcError) -> Response:
    body = {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
    return JSONResponse(body, exc.status)


class OidcEndpoints:
    """The two endpoints of one process, sharing its cached provider metadata and keys."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.settings = state.settings.oidc
        self.client = OidcClient(self.settings)
        redirect = urlsplit(self.settings.redirect_uri)
        self.cookie_path = redirect.path or "/"
        self.cookie_secure = redirect.scheme == "https"

    async def login(self, request: Request) -> Response:
        """Start a sign-in: remember it, and send the browser to the identity provider."""
        try:
            async with self.state.db.transaction() as session:
                start = await self.client.start(session)
        except OidcError as exc:
            log.warning("single sign-on cannot start: %s", exc.message)
            return _error(exc)
        response = RedirectResponse(start.authorization_url, 302)
        response.set_cookie(
            COOKIE,
            start.browser_secret,
            max_age=int(LOGIN_TTL.total_seconds()),
            path=self.cookie_path,
            secure=self.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def callback(self, request: Request) -> Response:
        """Finish a sign-in: verify the provider's answer, find or provision the user, and
        answer with UniCRM tokens."""
        try:
            identity = await self.client.finish(
                self.state.db, request.query_params, request.cookies.get(COOKIE)
            )
            async with self.state.db.transaction() as session:
                user = await sign_in_user(session, self.settings, identity)
                tokens = await start_session(
                    session,
                    user,
                    client_address=request.client.host if request.client else None,
                    user_agent=request.headers.get("user-agent"),
                    method="sso",
                    settings=self.state.settings,
                )
        except OidcError as exc:
            log.info("single sign-on refused (%s): %s", exc.code, exc.message)
            async with self.state.db.transaction() as session:
                await auth_audit.sign_in(
                    session,
                    actor=Actor.anonymous(),
                    method="sso",
                    outcome=exc.code.lower(),
                    client_address=request.client.host if request.client else None,
                )
            response = _error(exc)
        else:
            log.info("single sign-on: user %s signed in", user.id)
            response = _signed_in(user, tokens)
        response.delete_cookie(COOKIE, path=self.cookie_path)
        return response


def _check_production(settings: Settings) -> None:
    for name in ("issuer", "redirect_uri"):
        if not getattr(settings.oidc, name).startswith("https://"):
            raise ConfigError(
                f"bad setting oidc.{name} (UNICRM_OIDC__{name.upper()}): "
                "production needs an https URL"
            )


def routes(state: AppState) -> list[BaseRoute]:
    """The single sign-on routes of ``state``'s process; none when it is not enabled.

    Production refuses to start with a plain-http issuer or redirect URI.
    """
    if not state.settings.oidc.enabled:
        return []
    if state.settings.is_production:
        _check_production(state.settings)
    endpoints = OidcEndpoints(state)
    return [
        Route("/auth/oidc/login", endpoints.login, methods=["GET"]),
        Route("/auth/oidc/callback", endpoints.callback, methods=["GET"]),
    ]
