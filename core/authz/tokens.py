"""Short-lived JWT access tokens (HS256) signed with rotating keys.

Tokens carry ``sub`` (the user id), ``sid`` (the session), ``iat``, ``exp``, ``iss``, ``aud``
and ``jti``, and name their signing key in the ``kid`` header. They are signed with the active
key of ``auth.signing_keys`` and verified with any configured key, so a key can be rotated by
adding a new one, making it active, and removing the old one once its tokens have expired
(``auth.access_token_minutes``). A token naming an unknown key is rejected.

In development and tests, without configured keys, one key is derived from ``secret_key``;
production refuses to start without signing keys or with the default ``secret_key``.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from unicrm.core.config import Settings
from unicrm.core.db.types import utcnow
from unicrm.core.errors import ConfigError, Unauthenticated

ALGORITHM = "HS256"
DEFAULT_SECRET_KEY = "change-me-in-production"
DERIVED_KID = "derived"
MIN_KEY_LENGTH = 32
REQUIRED_CLAIMS = ("sub", "sid", "iat", "exp", "iss", "aud", "jti")
ENROLLMENT_CLAIMS = ("sub", "iat", "exp", "iss", "aud", "jti")
ENROLLMENT_AUDIENCE_SUFFIX = ":totp-enrollment"
ENROLLMENT_TOKEN_LIFETIME = timedelta(minutes=10)


class InvalidToken(Unauthenticated):
    """A bearer credential that is malformed, expired, tampered with or revoked."""


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The signing keys by ``kid`` and the one new tokens are signed with."""

    keys: dict[str, bytes]
    active_kid: str

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    token_id: str
    expires_at: datetime


PRODUCTION_KEYS = (
    "bad setting auth.signing_keys (UNICRM_AUTH__SIGNING_KEYS): production needs "
    "auth.signing_keys, auth.active_kid and a secret_key other than the default"
)


def check_startup(settings: Settings) -> None:
    """Refuse to start production with the default secret key or without signing keys, and
    any environment with malformed keys."""
    if settings.is_production and settings.secret_key.get_secret_value() == DEFAULT_SECRET_KEY:
        raise ConfigError(PRODUCTION_KEYS)
    keyring(settings)


def keyring(settings: Settings) -> KeyRing:
    """The configured keys, or in development one key derived from ``secret_key``."""
    auth = settings.auth
    if not auth.signing_keys:
        if settings.is_production:
            raise ConfigError(PRODUCTION_KEYS)
        secret = settings.secret_key.get_secret_value().encode()
        derived = hmac.new(secret, b"unicrm access tokens", hashlib.sha256).digest()
        return KeyRing({DERIVED_KID: derived}, DERIVED_KID)
    keys = {kid: value.get_secret_value().encode() for kid, value in auth.signing_keys.items()}
    short = sorted(kid for kid, key in keys.items() if len(key) < MIN_KEY_LENGTH)
    if short:
        raise ConfigError(
            f"bad setting auth.signing_keys (UNICRM_AUTH__SIGNING_KEYS): key {short[0]!r} is "
            f"shorter than {MIN_KEY_LENGTH} characters; expected a long random secret"
        )
    active = auth.active_kid or (next(iter(keys)) if len(keys) == 1 else None)
    if active not in keys:
        raise ConfigError(
            "bad setting auth.active_kid (UNICRM_AUTH__ACTIVE_KID): expected one of "
            f"{', '.join(sorted(keys))}"
        )
    return KeyRing(keys, active)


def issue_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime | None = None
) -> tuple[str, datetime]:
    """A signed access token for ``user_id`` in ``session_id`` and its expiry."""
    ring = keyring(settings)
    issued = (now or utcnow()).replace(microsecond=0)
    expires = issued + timedelta(minutes=settings.auth.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": issued,
        "exp": expires,
        "iss": settings.auth.issuer,
        "aud": settings.auth.audience,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, ring.active_key, ALGORITHM, headers={"kid": ring.active_kid})
    return token, expires


def _verified_claims(
    settings: Settings, token: str, audience: str, required: tuple[str, ...], what: str
) -> dict:
    ring = keyring(settings)
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        raise InvalidToken(f"the {what} is malformed") from None
    key = ring.keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidToken(f"the {what} was signed with an unknown key")
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=settings.auth.issuer,
            options={"require": list(required)},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken(f"the {what} has expired") from None
    except jwt.InvalidTokenError:
        raise InvalidToken(f"the {what} is invalid") from None


VERIFIED_CACHE_SIZE = 10_000
_verified: OrderedDict[tuple[Any, ...], AccessClaims] = OrderedDict()
"""Access tokens already verified, by token and everything verification depended on (the
keys, audience and issuer). A token stays valid until it expires, so a hit only checks the
expiry: a page of requests pays JWT parsing and HMAC once per token, not once per request."""


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid token; anything else raises ``InvalidToken`` (UNAUTHENTICATED).

    The messages never include the token or its claims.
    """
    ring = keyring(settings)
    cache_key = (token, settings.auth.audience, settings.auth.issuer, *sorted(ring.keys.items()))
    known = _verified.get(cache_key)
    if known is not None:
        if known.expires_at <= utcnow():
            del _verified[cache_key]
            raise InvalidToken("the access token has expired")
        _verified.move_to_end(cache_key)
        return known
    claims = _verified_claims(
        settings, token, settings.auth.audience, REQUIRED_CLAIMS, "access token"
    )
    try:
        decoded = AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except (ValueError, TypeError):
        raise InvalidToken("the access token is invalid") from None
    _verified[cache_key] = decoded
    if len(_verified) > VERIFIED_CACHE_SIZE:
        _verified.popitem(last=False)
    return decoded


def _enrollment_audience(settings: Settings) -> str:
    return f"{settings.auth.audience}{ENROLLMENT_AUDIENCE_SUFFIX}"


def issue_enrollment_token(
    settings: Settings, *, user_id: uuid.UUID, now: datetime | None = None
) -> str:
    """A token that lets ``user_id``, who proved their password but must use two-factor
    sign-in, enroll an authenticator and nothing else (its audience is not an access token's).
    """
    ring = keyring(settings)
    issued = (now or utcnow()).replace(microsecond=0)
    claims = {
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + ENROLLMENT_TOKEN_LIFETIME,
        "iss": settings.auth.issuer,
        "aud": _enrollment_audience(settings),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, ring.active_key, ALGORITHM, headers={"kid": ring.active_kid})


def decode_enrollment_token(settings: Settings, token: str) -> uuid.UUID:
    """The user an enrollment token was issued to; else ``InvalidToken``."""
    claims = _verified_claims(
        settings, token, _enrollment_audience(settings), ENROLLMENT_CLAIMS, "enrollment token"
    )
    try:
        return uuid.UUID(claims["sub"])
    except (ValueError, TypeError):
        raise InvalidToken("the enrollment token is invalid") from None
