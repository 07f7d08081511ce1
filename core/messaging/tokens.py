"""Signed tokens of one-click unsubscribe links and signatures of provider callbacks."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

CALLBACK_MAX_AGE_SECONDS = 300


def _key(secret: bytes, use: str) -> bytes:
    return hmac.new(secret, f"unicrm.messaging.{use}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsubscribe_token(secret: bytes, message_id: uuid.UUID) -> str:
    """``<message id>.<MAC>``, both base64url: names the message and cannot be forged."""
    mac = hmac.new(_key(secret, "unsubscribe"), message_id.bytes, hashlib.sha256).digest()
    return f"{_b64(message_id.bytes)}.{_b64(mac[:16])}"


def read_unsubscribe_token(secret: bytes, token: str) -> uuid.UUID | None:
    """The message id of a genuine token, else None."""
    head, _, mac = token.partition(".")
    try:
        message_id = uuid.UUID(bytes=_unb64(head))
    except (ValueError, binascii.Error):
        return None
    return (
        message_id
        if hmac.compare_digest(unsubscribe_token(secret, message_id).partition(".")[2], mac)
        else None
    )


def callback_key(secret: bytes, configured: str) -> bytes:
    """The key provider callbacks are signed with: ``messaging.callback_secret`` when set."""
    return configured.encode() if configured else _key(secret, "callback")


def callback_signature(key: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC of "<timestamp>.<body>">``, the ``UniCRM-Signature`` header."""
    mac = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"
