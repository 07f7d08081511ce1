"""Custom event types: registered by an admin with a JSON Schema for their payload.

A name has the form of every event type (``namespace.what_happened``, lowercase, see
``unicrm.core.events.types.EVENT_TYPE``) and must stay clear of the types core and the
installed plugins declare: neither one of those types nor one in their namespaces
(``customer.*``, ``order.*``, ``deal.*``...). The schema must be a valid draft 2020-12
JSON Schema; each change to it makes a new ``version``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.ingest_models import CustomEventType
from unicrm.core.events.types import EVENT_TYPE, EVENT_TYPES

MAX_NAME = 100
MAX_DESCRIPTION = 500
MAX_SCHEMA_BYTES = 65_536
UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class EventTypeData:
    """Fields of a create (all given) or an update (``UNSET`` where unchanged)."""

    name: str = UNSET
    json_schema: Any = UNSET
    description: str | None = UNSET
    active: bool = UNSET


def declared_namespaces() -> frozenset[str]:
    """Namespaces of the types core and the installed plugins declare."""
    return frozenset(name.partition(".")[0] for name in EVENT_TYPES)


def check_name(raw: str) -> str:
    name = raw.strip()
    if len(name) > MAX_NAME or not EVENT_TYPE.match(name):
        raise DomainError.single(
            "INVALID_NAME",
            "a type is lowercase words joined by dots, with a namespace first, "
            "such as shop.cart_abandoned",
            "name",
        )
    if name in EVENT_TYPES or name.partition(".")[0] in declared_namespaces():
        raise DomainError.single(
            "CLASH",
            f"{name!r} is in the namespace of a type core or a plugin declares; "
            "choose your own namespace, such as custom. or your integration's name",
            "name",
        )
    return name


def check_schema(schema: Any) -> dict[str, Any]:
    """``schema`` if it is a valid draft 2020-12 JSON Schema object, else INVALID_SCHEMA."""
    if not isinstance(schema, dict):
        raise DomainError.single("INVALID_SCHEMA", "the schema must be a JSON object", "schema")
    if len(orjson.dumps(schema)) > MAX_SCHEMA_BYTES:
        raise DomainError.single(
            "INVALID_SCHEMA", f"the schema is larger than {MAX_SCHEMA_BYTES} bytes", "schema"
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/" + "/".join(str(p) for p in exc.absolute_path)
        raise DomainError.single(
            "INVALID_SCHEMA", f"not a valid JSON Schema at {path}: {exc.message}", "schema"
        ) from None
    for ref in _refs(schema):
        if not _resolves(schema, ref):
            raise DomainError.single(
                "INVALID_SCHEMA",
                f"$ref {ref!r} does not point into this schema: only local references "
                "such as #/$defs/item are allowed",
                "schema",
            )
    return schema


def _refs(node: Any) -> list[str]:
    """Every ``$ref`` and ``$dynamicRef`` in a schema, however deep."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs(value))
    return found


def _resolves(schema: dict[str, Any], ref: str) -> bool:
    """Whether ``ref`` is a JSON pointer (``#/...``) to a part of ``schema``.

    Schemas are never fetched from elsewhere, so a reference must be resolvable here.
    """
    if ref == "#":
        return True
    if not ref.startswith("#/"):
        return False
    node: Any = schema
    for raw in ref[2:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _description(raw: str | None) -> str | None:
    text = " ".join(raw.split()) if raw else None
    if text and len(text) > MAX_DESCRIPTION:
        raise DomainError(FieldError("TOO_LONG", "the description is too long", "description"))
    return text or None


async def _taken(session: AsyncSession, name: str) -> None:
    if await session.scalar(select(CustomEventType.id).where(CustomEventType.name == name)):
        raise DomainError.single("CLASH", f"the type {name!r} is already registered", "name")


async def create_type(
    session: AsyncSession, data: EventTypeData, created_by: str | None
) -> CustomEventType:
    name = check_name(data.name)
    schema = check_schema(data.json_schema)
    description = _description(data.description)
    await _taken(session, name)
    row = CustomEventType(
        name=name,
        json_schema=schema,
        description=description,
        active=True if data.active is UNSET else data.active,
        created_by=created_by,
        version=1,
    )
    session.add(row)
    await session.flush()
    return row


async def _get(session: AsyncSession, type_id: uuid.UUID) -> CustomEventType:
    row = await session.get(CustomEventType, type_id, with_for_update=True)
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such custom event type", "id")
    return row


async def update_type(
    session: AsyncSession, type_id: uuid.UUID, data: EventTypeData
) -> CustomEventType:
    """Change the schema (a new version), the description or whether it is active.

    The name stays: events already pushed and webhook subscriptions refer to it.
    """
    row = await _get(session, type_id)
    if data.json_schema is not UNSET:
        schema = check_schema(data.json_schema)
        if schema != row.json_schema:
            row.json_schema = schema
            row.version += 1
    if data.description is not UNSET:
        row.description = _description(data.description)
    if data.active is not UNSET and data.active is not None:
        row.active = data.active
    await session.flush()
    return row


async def deactivate_type(session: AsyncSession, type_id: uuid.UUID) -> CustomEventType:
    """Stop accepting events of the type; those already pushed stay."""
    row = await _get(session, type_id)
    row.active = False
    await session.flush()
    return row


def listed() -> Any:
    return select(CustomEventType)
