"""Field-level authorization of every operation, decided before execution.

When a schema is composed, every schema coordinate gets one ``Requirement`` (see
core/authz/access.py) from the declarations in core/authz/declare.py; a root field without a
declaration, or a data type without a guard, is a startup error (deny by default).

Per operation, the distinct coordinates it can touch are collected once per document
(fragments and inline fragments included; an abstract type stands for each of its object
types) and decided once per actor and policy version. Nothing denied or masked: execution
runs with no per-field checks at all. Otherwise a ``FieldGuard`` middleware answers denied
fields with FORBIDDEN at their path (null for nullable fields) and masks masked ones. With
``audit.sensitive_reads`` on, it also notes which objects' ``sensitive`` fields were read in
clear, for the audit log (``pii.read``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
)

from unicrm.core.authz.access import READ, Access, Requirement
from unicrm.core.authz.declare import METADATA_KEY, PUBLIC, type_permission
from unicrm.core.authz.masking import mask
from unicrm.core.errors import Forbidden, PluginError

ROOTS = ("Query", "Mutation", "Subscription")
STRUCTURAL_SUFFIXES = ("Connection", "Edge", "Payload", "Error")
STRUCTURAL = frozenset({*ROOTS, "PageInfo"})
CACHE_LIMIT = 4096


def _guard_of(strawberry_schema: Any, type_name: str) -> str | None:
    definition = strawberry_schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    return type_permission(origin) if origin is not None else None


def _is_structural(name: str) -> bool:
    return name in STRUCTURAL or name.endswith(STRUCTURAL_SUFFIXES) or name.startswith("__")


@dataclass
class Requirements:
    """The requirement of every coordinate of one composed schema."""

    by_coordinate: dict[str, Requirement]
    type_guards: dict[str, str]
    graphql: GraphQLSchema
    _operations: dict[tuple[str, str | None], frozenset[Requirement]] = field(default_factory=dict)

    def type_permission(self, type_name: str) -> str | None:
        """The permission guarding ``type_name`` (a Connection/Edge: its node's)."""
        return self.type_guards.get(type_name)

    @classmethod
    def of(cls, strawberry_schema: Any) -> Requirements:
        schema: GraphQLSchema = strawberry_schema._schema
        guards: dict[str, str] = {}
        missing: list[str] = []
        for name, gql_type in schema.type_map.items():
            if not is_object_type(gql_type) or _is_structural(name):
                continue
            permission = _guard_of(strawberry_schema, name)
            if permission is None:
                missing.append(f"type {name} has no @guard")
            else:
                guards[name] = permission
        for name in schema.type_map:
            for suffix in ("Connection", "Edge"):
                base = name.removesuffix(suffix)
                if base != name and base in guards:
                    guards[name] = guards[base]

        by_coordinate: dict[str, Requirement] = {}
        for name, gql_type in schema.type_map.items():
            if not is_object_type(gql_type) or name.startswith("__"):
                continue
            for field_name, definition in gql_type.fields.items():
                requirement = _requirement(
                    name, field_name, definition, guards, missing, strawberry_schema
                )
                by_coordinate[requirement.coordinate] = requirement
        if missing:
            raise PluginError("undeclared access: " + "; ".join(sorted(missing)))
        return cls(by_coordinate=by_coordinate, type_guards=guards, graphql=schema)

    def for_operation(
        self, document: DocumentNode, query: str, operation_name: str | None
    ) -> frozenset[Requirement]:
        """The requirements of every coordinate the operation can touch (cached per document)."""
        key = (query, operation_name)
        found = self._operations.get(key)
        if found is None:
            coordinates = set(_coordinates(self.graphql, document, operation_name))
            found = frozenset(self.by_coordinate[c] for c in coordinates if c in self.by_coordinate)
            if len(self._operations) >= CACHE_LIMIT:
                self._operations.clear()
            self._operations[key] = found
        return found


def _strawberry_field(strawberry_schema: Any, type_name: str, field_name: str) -> Any:
    definition = strawberry_schema.get_type_by_name(type_name)
    if definition is None or not hasattr(definition, "fields"):
        return None
    for candidate in strawberry_schema.get_fields(definition):
        if strawberry_schema.config.name_converter.from_field(candidate) == field_name:
            return candidate
    return None


def _requirement(
    type_name: str,
    field_name: str,
    definition: Any,
    guards: dict[str, str],
    missing: list[str],
    strawberry_schema: Any,
) -> Requirement:
    coordinate = f"{type_name}.{field_name}"
    source = _strawberry_field(strawberry_schema, type_name, field_name)
    metadata = getattr(source, "metadata", None) or {}
    needs: list[tuple[str, str]] = []
    action = READ
    if type_name in ROOTS:
        declared = metadata.get(METADATA_KEY)
        if declared is None:
            missing.append(f"root field {coordinate} declares no permission")
            return Requirement(coordinate)
        if declared == PUBLIC:
            return Requirement(coordinate, public=True)
        permission, _, action = declared.partition(":")
        needs.append((permission, action or READ))
    elif type_name in guards and guards[type_name] != PUBLIC:
        needs.append((guards[type_name], READ))
    returned = get_named_type(definition.type).name
    returned_guard = guards.get(returned)
    if returned_guard and returned_guard != PUBLIC and (returned_guard, READ) not in needs:
        needs.append((returned_guard, READ))
    return Requirement(
        coordinate,
        action=action or READ,
        needs=tuple(needs),
        pii=metadata.get("pii"),
        mask=metadata.get("mask"),
    )


def _coordinates(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Iterator[str]:
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    for operation in operations:
        if operation_name is not None and (
            operation.name is None or operation.name.value != operation_name
        ):
            continue
        root = schema.get_root_type(operation.operation)
        if root is not None:
            yield from _walk(schema, [root], operation.selection_set, fragments, set())


def _object_types(schema: GraphQLSchema, named: GraphQLNamedType) -> list[GraphQLObjectType]:
    if is_abstract_type(named):
        return list(schema.get_possible_types(named))  # type: ignore[arg-type]
    return [named] if is_object_type(named) else []  # type: ignore[list-item]


def _walk(
    schema: GraphQLSchema,
    parents: list[GraphQLObjectType],
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> Iterator[str]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if name.startswith("__"):
                continue
            for parent in parents:
                definition = parent.fields.get(name)
                if definition is None:
                    continue
                yield f"{parent.name}.{name}"
                if selection.selection_set is not None:
                    children = _object_types(schema, get_named_type(definition.type))
                    yield from _walk(schema, children, selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            narrowed = _narrow(schema, parents, selection.type_condition)
            yield from _walk(schema, narrowed, selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            key = selection.name.value + ":" + ",".join(p.name for p in parents)
            if fragment is None or key in seen:
                continue
            seen.add(key)
            narrowed = _narrow(schema, parents, fragment.type_condition)
            yield from _walk(schema, narrowed, fragment.selection_set, fragments, seen)


def _narrow(
    schema: GraphQLSchema, parents: list[GraphQLObjectType], condition: Any
) -> list[GraphQLObjectType]:
    if condition is None:
        return parents
    named = schema.get_type(condition.name.value)
    if named is None:
        return []
    allowed = {t.name for t in _object_types(schema, named)}
    return [parent for parent in parents if parent.name in allowed]


SENSITIVE = "sensitive"


class FieldGuard:
    """graphql-core middleware for an operation with denied or masked coordinates, or with
    sensitive ones whose reads are audited (``reads``: coordinate → ids of the objects read)."""

    __slots__ = ("audited", "denied", "masked", "reads")

    def __init__(
        self,
        denied: frozenset[str],
        masked: dict[str, str | None],
        audited: frozenset[str] = frozenset(),
    ) -> None:
        self.denied = denied
        self.masked = masked
        self.audited = audited
        self.reads: dict[str, dict[str, None]] = {}

    def resolve(self, next_: Any, root: Any, info: Any, **args: Any) -> Any:
        coordinate = f"{info.parent_type.name}.{info.field_name}"
        if coordinate in self.denied:
            raise Forbidden(f"not allowed to read {coordinate}")
        if coordinate in self.audited:
            read = self.reads.setdefault(coordinate, {})
            target = getattr(root, "id", None)
            if isinstance(target, str):
                read[target] = None
        if coordinate not in self.masked:
            return next_(root, info, **args)
        style = self.masked[coordinate]
        result = next_(root, info, **args)
        if isawaitable(result):
            return _masked_later(result, style)
        return mask(result, style)


async def _masked_later(result: Any, style: str | None) -> Any:
    return mask(await result, style)


def field_guard(
    requirements: Requirements,
    access: Access,
    document: DocumentNode,
    query: str,
    operation_name: str | None,
    *,
    audit_sensitive: bool = False,
) -> FieldGuard | None:
    """The middleware an operation needs, or None when nothing in it is denied or masked and
    no clear read of a ``sensitive`` field is to be audited."""
    found = requirements.for_operation(document, query, operation_name)
    denied, masked = access.decide_all(found)
    audited = (
        frozenset(
            r.coordinate
            for r in found
            if r.pii == SENSITIVE and r.coordinate not in denied and r.coordinate not in masked
        )
        if audit_sensitive
        else frozenset()
    )
    if not denied and not masked and not audited:
        return None
    return FieldGuard(denied, masked, audited)
