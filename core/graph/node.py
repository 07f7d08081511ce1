"""The Relay ``Node`` interface and ``node``/``nodes`` lookup by opaque global id.

A node type is any strawberry type implementing ``Node`` with a ``load_node`` classmethod.
Lookup goes through the schema of the request, so a type whose plugin is not enabled for the
department does not resolve.
"""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from unicrm.core.errors import BadRequest
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id


@strawberry.interface(description="An object with an opaque, globally unique id.")
class Node:
    id: strawberry.ID

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Any:
        raise NotImplementedError(f"{cls.__name__} does not implement load_node")


def parse_global_id(global_id: str, expected: str | None = None) -> tuple[str, uuid.UUID]:
    """Decode an id argument of a query; a malformed or wrong-type id is BAD_REQUEST."""
    try:
        type_name, pk = from_global_id(global_id)
    except InvalidGlobalId:
        raise BadRequest(f"{global_id!r} is not a valid id") from None
    if expected is not None and type_name != expected:
        raise BadRequest(f"{global_id!r} is not the id of a {expected}")
    return type_name, pk


async def resolve_node(info: strawberry.Info, global_id: str) -> Node | None:
    type_name, pk = parse_global_id(global_id)
    definition = info.schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    if origin is None or not (isinstance(origin, type) and issubclass(origin, Node)):
        return None
    return await origin.load_node(info, pk)
