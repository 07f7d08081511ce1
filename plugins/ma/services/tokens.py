"""Signed tokens of the open pixel and click links: a token names a message or a tracked
link and carries a MAC, so nobody can forge an open or make a click redirect elsewhere."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

MAC_BYTES = 12


def _key(secret: bytes, use: str) -> bytes:
    return hmac.new(secret, f"unicrm.ma.{use}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, use: str, pk: uuid.UUID) -> str:
    """``<id>.<MAC>``, both base64url; ``use`` (``open``, ``click``) separates the kinds."""
    mac = hmac.new(_key(secret, use), pk.bytes, hashlib.sha256).digest()[:MAC_BYTES]
    return f"{_b64(pk.bytes)}.{_b64(mac)}"


def verify(secret: bytes, use: str, token: str) -> uuid.UUID | None:
    """The id a genuine token of ``use`` names, else None."""
    head, _, mac = token.partition(".")
    try:
        pk = uuid.UUID(bytes=_unb64(head))
    except (ValueError, binascii.Error):
        return None
    expected = sign(secret, use, pk).partition(".")[2]
    return pk if hmac.compare_digest(expected, mac) else None
