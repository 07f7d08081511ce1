"""Opaque Relay global ids: ``base64url("Type:<uuid hex>")``, unpadded.

Only the exact form ``to_global_id`` produces decodes, so every object has one id string.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid

from unicrm.core.errors import DomainError, FieldError

_ID = re.compile(r"(?P<type>[_A-Za-z][_0-9A-Za-z]*):(?P<hex>[0-9a-f]{32})")
_MAX_LENGTH = 200


class InvalidGlobalId(ValueError):
    pass


def to_global_id(type_name: str, pk: uuid.UUID) -> str:
    raw = f"{type_name}:{pk.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, uuid.UUID]:
    """The type name and primary key behind ``global_id``; ``InvalidGlobalId`` if malformed."""
    if not isinstance(global_id, str) or len(global_id) > _MAX_LENGTH:
        raise InvalidGlobalId("malformed id")
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidGlobalId(f"malformed id {global_id!r}") from exc
    match = _ID.fullmatch(raw)
    if match is None:
        raise InvalidGlobalId(f"malformed id {global_id!r}")
    type_name, pk = match["type"], uuid.UUID(hex=match["hex"])
    if to_global_id(type_name, pk) != global_id:
        raise InvalidGlobalId(f"malformed id {global_id!r}")
    return type_name, pk


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
