"""Opaque Relay global ids: ``base64url("Type:uuid")``."""

from __future__ import annotations

import base64
import binascii
import uuid

from unicrm.core.errors import DomainError, FieldError


class InvalidGlobalId(ValueError):
    pass


def to_global_id(type_name: str, pk: uuid.UUID) -> str:
    raw = f"{type_name}:{pk.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, uuid.UUID]:
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, hex_id = base64.urlsafe_b64decode(padded).decode().partition(":")
        if not type_name or not hex_id:
            raise InvalidGlobalId(global_id)
        return type_name, uuid.UUID(hex=hex_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidGlobalId(f"malformed id {global_id!r}") from exc


def decode_id(global_id: str, expected: str | tuple[str, ...], field: str = "id") -> uuid.UUID:
    """The primary key behind ``global_id``, or a ``DomainError`` naming the input field."""
    allowed = (expected,) if isinstance(expected, str) else expected
    try:
        type_name, pk = from_global_id(global_id)
    except InvalidGlobalId:
        raise DomainError(FieldError("INVALID_ID", f"{field} is not a valid id", field)) from None
    if type_name not in allowed:
        raise DomainError(
            FieldError("INVALID_ID", f"{field} must be the id of a {' or '.join(allowed)}", field)
        )
    return pk
