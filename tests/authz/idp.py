"""A real OpenID Connect identity provider for the tests, served by uvicorn on a local port.

It publishes a discovery document and a JWKS, auto-approves its configured user at
``/authorize`` (redirecting back with a code) and, at ``/token``, checks the client's
credentials and the PKCE verifier before answering with an RS256 ID token. The token is
signed here with ``cryptography`` directly, independently of the library UniCRM verifies with.

Tests change its behaviour through plain attributes (``user``, ``claims`` merged into the
next ID tokens, ``deny`` to refuse at ``/authorize``, ``sign_with`` a key other than the
published one, ``auth_methods``, ``rotate()``) and read what it saw (``hits``,
``token_requests``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "unicrm-test"
CLIENT_SECRET = "s3cret:with/odd&chars"
REDIRECT_URI = "http://unicrm.test/auth/oidc/callback"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid or secrets.token_hex(8), key)

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": b64url(_int_bytes(numbers.n)),
            "e": b64url(_int_bytes(numbers.e)),
        }

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"


@dataclass
class TestUser:
    __test__ = False  # not a pytest test class

    sub: str = "idp-user-1"
    email: str | None = "somchai@example.com"
    email_verified: bool = True
    name: str = "Somchai Jaidee"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    user: TestUser


@dataclass
class IdentityProvider:
    """The provider's configuration and what it has seen; ``reset()`` between tests."""

    issuer: str
    initial_key: SigningKey = field(default_factory=SigningKey.generate)
    user: TestUser = field(default_factory=TestUser)
    claims: dict[str, Any] = field(default_factory=dict)
    deny: str | None = None
    sign_with: SigningKey | None = None
    auth_methods: list[str] = field(
        default_factory=lambda: ["client_secret_basic", "client_secret_post"]
    )
    hits: Counter[str] = field(default_factory=Counter)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.published: list[SigningKey] = [self.initial_key]
        self._grants: dict[str, _Grant] = {}

    @property
    def key(self) -> SigningKey:
        """The key new ID tokens are signed with (the last one published)."""
        return self.published[-1]

    def reset(self) -> None:
        self.published = [self.initial_key]
        self.user, self.claims, self.deny, self.sign_with = TestUser(), {}, None, None
        self.auth_methods = ["client_secret_basic", "client_secret_post"]
        self.hits.clear()
        self.token_requests.clear()
        self._grants.clear()

    def rotate(self) -> SigningKey:
        """Sign with a new key from now on and stop publishing the old one."""
        self.published = [SigningKey.generate()]
        return self.key

    def id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.user.sub,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "name": grant.user.name,
            "email_verified": grant.user.email_verified,
        }
        if grant.user.email is not None:
            claims["email"] = grant.user.email
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.claims)
        return (self.sign_with or self.key).sign(claims)

    # --- endpoints ---------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        self.hits["discovery"] += 1
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": self.auth_methods,
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.hits["jwks"] += 1
        return JSONResponse({"keys": [k.jwk() for k in self.published]})

    async def authorize(self, request: Request) -> Response:
        self.hits["authorize"] += 1
        params = request.query_params
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != CLIENT_ID or redirect_uri != REDIRECT_URI:
            return PlainTextResponse("unknown client or redirect URI", 400)

        def back(**answer: str) -> Response:
            answer["state"] = params.get("state", "")
            return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", 302)

        if params.get("response_type") != "code" or "openid" not in params.get("scope", ""):
            return back(error="invalid_request", error_description="expected an OpenID code flow")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE S256 is required")
        if self.deny:
            return back(error=self.deny, error_description="The user declined the sign-in")
        code = secrets.token_urlsafe(24)
        self._grants[code] = _Grant(
            client_id=CLIENT_ID,
            redirect_uri=redirect_uri,
            challenge=params["code_challenge"],
            nonce=params.get("nonce"),
            user=self.user,
        )
        return back(code=code)

    def _client(self, request: Request, form: dict[str, str]) -> str | None:
        """The authenticated client id (client_secret_basic or client_secret_post), or None."""
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            try:
                raw = base64.b64decode(header[6:]).decode()
            except ValueError:
                return None
            client_id, _, secret = raw.partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        ok = client_id == CLIENT_ID and secrets.compare_digest(secret, CLIENT_SECRET)
        return client_id if ok else None

    async def token(self, request: Request) -> Response:
        self.hits["token"] += 1
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(
            {**form, "authorization": request.headers.get("authorization", "")}
        )
        client_id = self._client(request, form)
        if client_id is None:
            return JSONResponse({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        grant = self._grants.pop(form.get("code", ""), None)
        if grant is None or grant.client_id != client_id:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "unknown code"}, 400
            )
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "redirect_uri"}, 400
            )
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400
            )
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(grant),
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )


@contextlib.contextmanager
def serving() -> Iterator[IdentityProvider]:
    """An identity provider served by uvicorn on a free local port, in its own thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    provider = IdentityProvider(issuer=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(provider.app(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test identity provider did not start")
        time.sleep(0.01)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
