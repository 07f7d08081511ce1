"""The Relay ``Node`` interface and ``node``/``nodes`` lookup by opaque global id.

A node type is any strawberry object type implementing ``Node`` with a ``load_node``
classmethod. Lookup goes through the schema of the request: an id whose type is not a node
type of that schema (unknown, not a node, or from a plugin the department has not enabled)
is a BAD_REQUEST; a well-formed id of a node type that matches no row resolves to null.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import strawberry

from unicrm.core.authz.access import READ, Decision, Requirement
from unicrm.core.authz.declare import PUBLIC, type_permission
from unicrm.core.errors import BadRequest, Forbidden
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


def _node_type(info: strawberry.Info, global_id: str) -> tuple[type[Node], uuid.UUID]:
    type_name, pk = parse_global_id(global_id)
    definition = info.schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    if (
        getattr(definition, "is_interface", True)
        or not isinstance(origin, type)
        or not issubclass(origin, Node)
    ):
        raise BadRequest(f"{global_id!r} is not the id of an object this API serves")
    return origin, pk


def _check_readable(info: strawberry.Info, node_type: type[Node], global_id: str) -> None:
    """``node`` answers only for types the actor may read, so ``node(id) { id }`` does not
    reveal that a record exists to someone who may not see its kind."""
    access = getattr(info.context, "access", None)
    permission = type_permission(node_type)
    if access is None or permission in (None, PUBLIC):
        return
    if access.decide(Requirement(f"node:{permission}", needs=((permission, READ),))) is not (
        Decision.ALLOW
    ):
        raise Forbidden(f"not allowed to read {global_id!r}")


async def resolve_node(info: strawberry.Info, global_id: str) -> Node | None:
    node_type, pk = _node_type(info, global_id)
    _check_readable(info, node_type, global_id)
    return await node_type.load_node(info, pk)


async def resolve_nodes(info: strawberry.Info, global_ids: Sequence[str]) -> list[Node | None]:
    """Nodes in the order of ``global_ids``, null where none exists; loads run concurrently,
    so ids of one type share one DataLoader batch. Every id is checked before any load."""
    limit = info.context.limits.max_page_size
    if len(global_ids) > limit:
        raise BadRequest(f"at most {limit} ids")
    wanted = [_node_type(info, global_id) for global_id in global_ids]
    for (node_type, _), global_id in zip(wanted, global_ids, strict=True):
        _check_readable(info, node_type, global_id)
    return list(await asyncio.gather(*(node_type.load_node(info, pk) for node_type, pk in wanted)))
