"""Webhook signing secrets: generated, encrypted at rest, and used to sign and verify bodies.

Secrets are encrypted with Fernet under a key derived (HKDF-SHA256) from
``settings.secret_key``, so a database dump alone does not reveal them. Changing
``secret_key`` makes stored secrets unreadable: such endpoints fail with a clear error until
they are re-created.

The signature header is ``UniCRM-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``"<t>.<raw body>"``; receivers verify it with ``verify_signature``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from unicrm.core.errors import UniCRMError

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


class SecretUnreadable(UniCRMError):
    """A stored secret cannot be decrypted: ``secret_key`` changed since it was stored."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"unicrm webhook secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str, secret_key: str) -> bytes:
    return _fernet(secret_key).encrypt(secret.encode())


def decrypt_secret(token: bytes, secret_key: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "the endpoint's signing secret cannot be decrypted (secret_key changed?)"
        ) from None


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``UniCRM-Signature`` value for ``body``, signed now unless ``timestamp`` is given."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={_digest(secret, moment, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance_seconds`` of now."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
