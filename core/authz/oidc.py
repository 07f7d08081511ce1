"""OpenID Connect sign-in against one identity provider: the authorization code flow with
PKCE (S256).

``OidcClient.start`` stores a single-use state, nonce and PKCE verifier and returns the
provider's authorization URL; ``OidcClient.finish`` consumes the state, exchanges the code at
the token endpoint and verifies the ID token (signature through the provider's JWKS, issuer,
audience, expiry, nonce). The provider's discovery document and keys are cached; a token
signed with an unknown key id refetches the keys once, so a key rotation at the provider
needs no restart. Every failure is an ``OidcError`` with a code and an HTTP status.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.oidc_models import OidcLoginAttempt
from unicrm.core.config import OidcSettings
from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.errors import UniCRMError

log = logging.getLogger("unicrm.oidc")

LOGIN_TTL = timedelta(minutes=10)
"""How long a started sign-in may take at the identity provider."""
METADATA_TTL_SECONDS = 3600.0
"""How long the discovery document and the keys are trusted before they are fetched again."""
CLOCK_SKEW_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10.0
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""Asymmetric algorithms only: ``none`` and shared-secret (HS*) ID tokens are refused."""


class Failure(Enum):
    """Why a sign-in failed: the code clients see and the HTTP status it answers with."""

    IDP_ERROR = ("OIDC_IDP_ERROR", 400)
    INVALID_STATE = ("OIDC_INVALID_STATE", 400)
    STATE_EXPIRED = ("OIDC_STATE_EXPIRED", 400)
    MISSING_CODE = ("OIDC_MISSING_CODE", 400)
    CODE_REJECTED = ("OIDC_CODE_REJECTED", 401)
    INVALID_TOKEN = ("OIDC_INVALID_TOKEN", 401)
    BAD_SIGNATURE = ("OIDC_BAD_SIGNATURE", 401)
    WRONG_ISSUER = ("OIDC_WRONG_ISSUER", 401)
    WRONG_AUDIENCE = ("OIDC_WRONG_AUDIENCE", 401)
    TOKEN_EXPIRED = ("OIDC_TOKEN_EXPIRED", 401)
    WRONG_NONCE = ("OIDC_WRONG_NONCE", 401)
    EMAIL_NOT_VERIFIED = ("OIDC_EMAIL_NOT_VERIFIED", 401)
    DOMAIN_NOT_ALLOWED = ("OIDC_DOMAIN_NOT_ALLOWED", 403)
    USER_DISABLED = ("OIDC_USER_DISABLED", 403)
    MISCONFIGURED = ("OIDC_MISCONFIGURED", 500)
    IDP_UNAVAILABLE = ("OIDC_IDP_UNAVAILABLE", 502)

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def status(self) -> int:
        return self.value[1]


class OidcError(UniCRMError):
    """A sign-in that cannot complete; nothing about the user was written."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message

    @property
    def code(self) -> str:
        return self.failure.code

    @property
    def status(self) -> int:
        return self.failure.status


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """The parts of the provider's discovery document UniCRM uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LoginStart:
    """Where to send the browser, and the secret its cookie keeps for the callback."""

    authorization_url: str
    browser_secret: str


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """The claims of a verified ID token that sign-in and provisioning need."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True, slots=True)
class _Pending:
    nonce: str
    code_verifier: str
    browser_binding: str
    expired: bool


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _binding(browser_secret: str) -> str:
    return hashlib.sha256(browser_secret.encode("utf-8")).hexdigest()


def _display_name(claims: Mapping[str, Any]) -> str | None:
    for value in (
        claims.get("name"),
        " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k)),
        claims.get("preferred_username"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


class OidcClient:
    """The relying party of one identity provider, held for the life of the process."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._metadata: ProviderMetadata | None = None
        self._metadata_until = 0.0
        self._keys: dict[str | None, dict[str, Any]] = {}
        self._keys_until = 0.0
        self._lock = asyncio.Lock()
        self._tls: ssl.SSLContext | None = None

    def _http(self) -> httpx.AsyncClient:
        """A client for one exchange; the TLS context, costly to build, is built once."""
        if self._tls is None:
            self._tls = httpx.create_ssl_context()  # certifi, or SSL_CERT_FILE / SSL_CERT_DIR
        return httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, verify=self._tls)

    @property
    def discovery_url(self) -> str:
        return self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            async with self._http() as http:
                response = await http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OidcError(
                Failure.IDP_UNAVAILABLE, f"the identity provider's {what} is unreachable"
            ) from exc
        if response.status_code != 200:
            raise OidcError(
                Failure.IDP_UNAVAILABLE,
                f"the identity provider's {what} answered HTTP {response.status_code}",
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise OidcError(Failure.IDP_UNAVAILABLE, f"the identity provider's {what} is not JSON")
        return body

    async def metadata(self) -> ProviderMetadata:
        """The discovery document, fetched on first use and again after an hour."""
        async with self._lock:
            if self._metadata is None or time.monotonic() >= self._metadata_until:
                self._metadata = self._parse_metadata(
                    await self._get_json(self.discovery_url, "discovery document")
                )
                self._metadata_until = time.monotonic() + METADATA_TTL_SECONDS
            return self._metadata

    def _parse_metadata(self, body: dict[str, Any]) -> ProviderMetadata:
        if body.get("issuer") != self.settings.issuer:
            raise OidcError(
                Failure.IDP_UNAVAILABLE,
                f"the discovery document names issuer {body.get('issuer')!r}, "
                f"not the configured {self.settings.issuer!r}",
            )
        endpoints = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = body.get(name)
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise OidcError(
                    Failure.IDP_UNAVAILABLE, f"the discovery document has no usable {name}"
                )
            endpoints[name] = value
        methods = body.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        return ProviderMetadata(
            issuer=body["issuer"],
            token_auth_methods=tuple(str(m) for m in methods),
            **endpoints,
        )

    async def start(self, session: AsyncSession) -> LoginStart:
        """Store a new sign-in attempt and return where to send the browser.

        Attempts older than their expiry are purged here, so the table stays small.
        """
        metadata = await self.metadata()
        now = utcnow()
        await session.execute(delete(OidcLoginAttempt).where(OidcLoginAttempt.expires_at < now))
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier, browser_secret = secrets.token_urlsafe(64), secrets.token_urlsafe(32)
        session.add(
            OidcLoginAttempt(
                state=state,
                nonce=nonce,
                code_verifier=verifier,
                browser_binding=_binding(browser_secret),
                created_at=now,
                expires_at=now + LOGIN_TTL,
            )
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": " ".join(self.settings.scopes),
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        endpoint = metadata.authorization_endpoint
        separator = "&" if "?" in endpoint else "?"
        return LoginStart(f"{endpoint}{separator}{query}", browser_secret)

    async def finish(
        self, db: Database, params: Mapping[str, str], browser_secret: str | None
    ) -> VerifiedIdentity:
        """Complete a sign-in from the callback's query parameters.

        The state is consumed in its own transaction before anything else is checked, so it
        cannot be used twice whatever happens next.
        """
        pending = await self._take(db, params.get("state", ""))
        if pending is None or browser_secret is None:
            raise OidcError(
                Failure.INVALID_STATE, "this sign-in is unknown, already used or not this browser's"
            )
        if not hmac.compare_digest(pending.browser_binding, _binding(browser_secret)):
            raise OidcError(Failure.INVALID_STATE, "this sign-in was started in another browser")
        if pending.expired:
            raise OidcError(Failure.STATE_EXPIRED, "this sign-in took too long; start again")
        if "error" in params:
            detail = params.get("error_description") or params["error"]
            raise OidcError(
                Failure.IDP_ERROR, f"the identity provider refused the sign-in: {detail}"
            )
        metadata = await self.metadata()
        if "iss" in params and params["iss"] != metadata.issuer:
            raise OidcError(Failure.WRONG_ISSUER, "the response comes from another issuer")
        code = params.get("code")
        if not code:
            raise OidcError(Failure.MISSING_CODE, "the callback carries no authorization code")
        id_token = await self._exchange(metadata, code, pending.code_verifier)
        return await self.verify_id_token(id_token, nonce=pending.nonce)

    async def _take(self, db: Database, state: str) -> _Pending | None:
        if not state or len(state) > 64:
            return None
        async with db.transaction() as session:
            row = (
                await session.execute(
                    delete(OidcLoginAttempt)
                    .where(OidcLoginAttempt.state == state)
                    .returning(
                        OidcLoginAttempt.nonce,
                        OidcLoginAttempt.code_verifier,
                        OidcLoginAttempt.browser_binding,
                        OidcLoginAttempt.expires_at,
                    )
                )
            ).one_or_none()
        if row is None:
            return None
        nonce, verifier, binding, expires_at = row
        return _Pending(nonce, verifier, binding, expired=expires_at <= utcnow())

    async def _exchange(self, metadata: ProviderMetadata, code: str, verifier: str) -> str:
        """Trade the code (and the PKCE verifier) for an ID token at the token endpoint."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Accept": "application/json"}
        secret = self.settings.client_secret.get_secret_value()
        methods = metadata.token_auth_methods
        if not secret:
            form["client_id"] = self.settings.client_id
        elif "client_secret_basic" not in methods and "client_secret_post" in methods:
            form |= {"client_id": self.settings.client_id, "client_secret": secret}
        else:  # RFC 6749 2.3.1: both parts are form-encoded before the Basic encoding
            pair = f"{quote(self.settings.client_id, safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            async with self._http() as http:
                response = await http.post(metadata.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise OidcError(
                Failure.IDP_UNAVAILABLE, "the identity provider's token endpoint is unreachable"
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise OidcError(
                Failure.IDP_UNAVAILABLE,
                f"the token endpoint answered HTTP {response.status_code} without JSON",
            )
        if response.status_code != 200:
            reason = body.get("error_description") or body.get("error") or "no reason given"
            raise OidcError(
                Failure.CODE_REJECTED, f"the identity provider refused the code: {reason}"
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise OidcError(Failure.INVALID_TOKEN, "the token response has no ID token")
        return id_token

    async def _load_keys(self, *, refresh: bool) -> dict[str | None, dict[str, Any]]:
        async with self._lock:
            if refresh or not self._keys or time.monotonic() >= self._keys_until:
                metadata = self._metadata
                if metadata is None:
                    raise RuntimeError("keys are loaded after the discovery document")
                body = await self._get_json(metadata.jwks_uri, "key set")
                entries = body.get("keys")
                self._keys = {
                    entry.get("kid"): entry
                    for entry in (entries if isinstance(entries, list) else [])
                    if isinstance(entry, dict) and entry.get("use", "sig") == "sig"
                }
                self._keys_until = time.monotonic() + METADATA_TTL_SECONDS
            return self._keys

    async def signing_key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        """The provider's key ``kid`` for ``algorithm``; an unknown id refetches the keys once."""
        for refresh in (False, True):
            keys = await self._load_keys(refresh=refresh)
            entry = keys.get(kid)
            if entry is None and kid is None and len(keys) == 1:
                entry = next(iter(keys.values()))
            if entry is not None:
                try:
                    return jwt.PyJWK(entry, algorithm=entry.get("alg") or algorithm)
                except jwt.PyJWTError as exc:
                    raise OidcError(
                        Failure.BAD_SIGNATURE, f"the provider's key {kid!r} is unusable"
                    ) from exc
        raise OidcError(Failure.BAD_SIGNATURE, f"the ID token is signed with unknown key {kid!r}")

    async def verify_id_token(self, token: str, *, nonce: str) -> VerifiedIdentity:
        """Check the ID token's signature, issuer, audience, expiry and nonce."""
        await self.metadata()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise OidcError(Failure.INVALID_TOKEN, "the ID token is malformed") from exc
        algorithm = header.get("alg")
        if algorithm not in SIGNING_ALGORITHMS:
            raise OidcError(
                Failure.INVALID_TOKEN, f"the ID token's algorithm {algorithm!r} is not allowed"
            )
        key = await self.signing_key(header.get("kid"), algorithm)
        claims = self._decode(token, key, algorithm)
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise OidcError(Failure.WRONG_AUDIENCE, "the ID token was issued to another party")
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError(Failure.WRONG_NONCE, "the ID token belongs to another sign-in")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise OidcError(Failure.INVALID_TOKEN, "the ID token has no usable subject")
        email = claims.get("email")
        return VerifiedIdentity(
            issuer=claims["iss"],
            subject=subject,
            email=email if isinstance(email, str) and email else None,
            email_verified=claims.get("email_verified") is True,
            name=_display_name(claims),
        )

    def _decode(self, token: str, key: jwt.PyJWK, algorithm: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.settings.client_id,
                issuer=self.settings.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise OidcError(Failure.TOKEN_EXPIRED, "the ID token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise OidcError(
                Failure.WRONG_AUDIENCE, "the ID token was issued to another party"
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise OidcError(Failure.WRONG_ISSUER, "the ID token comes from another issuer") from exc
        except (jwt.InvalidSignatureError, jwt.InvalidKeyError, jwt.InvalidAlgorithmError) as exc:
            raise OidcError(Failure.BAD_SIGNATURE, "the ID token's signature is not valid") from exc
        except jwt.PyJWTError as exc:
            raise OidcError(Failure.INVALID_TOKEN, f"the ID token is not valid: {exc}") from exc
