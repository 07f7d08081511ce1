"""The compiler: (schema, validated document, operation, @skip/@include values, authorization
decisions) → a plan of plain objects the runner walks without graphql-core.

For each selected field the plan holds its response key, how its value is obtained
(``ATTRIBUTE``, ``LOAD`` through a named loader, ``CALL`` of a resolver declared ``@direct``,
or ``TYPENAME``), its completion (nullability, list wrapping, the leaf serializer or the
child selections per concrete object type, fragments flattened by type condition) and what
authorization decided for its coordinate (denied, masked, audited). Fields are collected as
graphql-core collects them: in document order, merged by response key, ``@skip``/``@include``
applied. A field that cannot be planned raises ``Unplannable`` naming its coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values

from unicrm.core.graph.plan import Direct, Loads, declaration_of

TYPENAME, ATTRIBUTE, LOAD, CALL = range(4)
LEAF, LIST, OBJECT, ABSTRACT = range(4)
NOT_MASKED = object()


class Unplannable(Exception):
    """The operation selects something the compiled executor does not run."""

    def __init__(self, coordinate: str, reason: str) -> None:
        super().__init__(f"{coordinate}: {reason}")
        self.coordinate = coordinate
        self.reason = reason


@dataclass(slots=True, eq=False)
class Completion:
    """How a value at one position of the response is completed."""

    nullable: bool
    kind: int
    serialize: Any = None
    item: Completion | None = None
    fields: list[FieldPlan] | None = None
    by_type: dict[str, list[FieldPlan]] = field(default_factory=dict)
    type_name: str = ""


@dataclass(slots=True, eq=False)
class FieldPlan:
    key: str
    name: str
    parent_type: GraphQLObjectType
    coordinate: str
    kind: int
    nodes: list[FieldNode]
    completion: Completion | None = None
    attribute: str = ""
    load: Loads | None = None
    field_def: Any = None
    strawberry_field: Any = None
    arguments: dict[str, Any] | None = None  # None: read per request (they use variables)
    denied: bool = False
    mask: Any = NOT_MASKED
    audited: bool = False


@dataclass(slots=True, eq=False)
class Plan:
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root_type: GraphQLObjectType
    fields: list[FieldPlan]


def directive_variables(document: Any) -> tuple[str, ...]:
    """The names of the variables that ``@skip``/``@include`` read anywhere in ``document``."""
    found: dict[str, None] = {}

    def visit(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    for argument in directive.arguments:
                        if isinstance(argument.value, VariableNode):
                            found[argument.value.name.value] = None
            visit(getattr(selection, "selection_set", None))

    for definition in document.definitions:
        visit(getattr(definition, "selection_set", None))
    return tuple(found)


def _uses_variables(node: FieldNode) -> bool:
    def has(value: Any) -> bool:
        if isinstance(value, VariableNode):
            return True
        for name in ("values", "fields"):
            for child in getattr(value, name, None) or ():
                if has(getattr(child, "value", child)):
                    return True
        return False

    return any(has(argument.value) for argument in node.arguments or ())


def kind_of(source: Any, *, root: bool = False) -> int | None:
    """How the compiled executor obtains the value of strawberry field ``source``, or None
    when it cannot. A root field runs once per request in either executor: its resolver is
    called as graphql-core would call it."""
    resolver = source.base_resolver
    declared = declaration_of(resolver.wrapped_func if resolver is not None else None)
    if resolver is None and not source.extensions:
        return ATTRIBUTE
    if isinstance(declared, Loads) and not source.extensions:
        return LOAD
    if isinstance(declared, Direct) or root:
        return CALL
    return None


class Compiler:
    """Compiles operations against one composed schema (one instance per schema)."""

    def __init__(self, strawberry_schema: Any) -> None:
        self.strawberry_schema = strawberry_schema
        self.schema: GraphQLSchema = strawberry_schema._schema
        self._fields: dict[str, dict[str, Any]] = {}

    def strawberry_field(self, type_name: str, field_name: str) -> Any:
        by_name = self._fields.get(type_name)
        if by_name is None:
            schema = self.strawberry_schema
            definition = schema.get_type_by_name(type_name)
            by_name = {
                schema.config.name_converter.from_field(f): f for f in schema.get_fields(definition)
            }
            self._fields[type_name] = by_name
        return by_name.get(field_name)

    def undeclared(self) -> list[str]:
        """The coordinates of every field no query can select without falling back to
        strawberry's execution (a resolver without a loading declaration), sorted."""
        schema = self.schema
        roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
        return sorted(
            f"{name}.{field_name}"
            for name, gql_type in schema.type_map.items()
            if is_object_type(gql_type) and not name.startswith("__") and gql_type not in roots
            for field_name in gql_type.fields  # type: ignore[attr-defined]
            if (source := self.strawberry_field(name, field_name)) is not None
            and kind_of(source) is None
        )

    def compile(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        denied: frozenset[str],
        masked: dict[str, Any],
        audited: frozenset[str],
    ) -> Plan:
        root_type = self.schema.get_root_type(operation.operation)
        assert root_type is not None
        build = _Build(self, fragments, variables, denied, masked, audited)
        return Plan(
            operation=operation,
            fragments=fragments,
            root_type=root_type,
            fields=build.selection(root_type, [operation.selection_set]),
        )


class _Build:
    def __init__(
        self,
        compiler: Compiler,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        denied: frozenset[str],
        masked: dict[str, Any],
        audited: frozenset[str],
    ) -> None:
        self.compiler = compiler
        self.schema = compiler.schema
        self.fragments = fragments
        self.variables = variables
        self.denied = denied
        self.masked = masked
        self.audited = audited

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include.get("if") is False)

    def _applies(self, condition: Any, runtime: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is runtime:
            return True
        if named is not None and is_abstract_type(named):
            return self.schema.is_sub_type(named, runtime)  # type: ignore[arg-type]
        return False

    def _collect(
        self,
        runtime: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value in ("defer", "stream"):
                    raise Unplannable(runtime.name, f"@{directive.name.value}")
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, runtime):
                    self._collect(runtime, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or not self._applies(fragment.type_condition, runtime):
                    continue
                self._collect(runtime, fragment.selection_set, grouped, visited)

    def selection(
        self, runtime: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> list[FieldPlan]:
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect(runtime, selection_set, grouped, visited)
        return [self._field(runtime, key, nodes) for key, nodes in grouped.items()]

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        name = nodes[0].name.value
        coordinate = f"{parent.name}.{name}"
        if name == "__typename":
            return FieldPlan(key, name, parent, coordinate, TYPENAME, nodes)
        if name.startswith("__"):
            raise Unplannable(coordinate, "introspection")
        definition = parent.fields.get(name)
        if definition is None:
            raise Unplannable(coordinate, "unknown field")
        source = self.compiler.strawberry_field(parent.name, name)
        if source is None:
            raise Unplannable(coordinate, "not a strawberry field")
        kind = kind_of(source, root=parent is self.schema.query_type)
        if kind is None:
            raise Unplannable(coordinate, "a resolver without a loading declaration")
        plan = FieldPlan(key, name, parent, coordinate, kind, nodes, field_def=definition)
        plan.strawberry_field = source
        if kind == ATTRIBUTE:
            plan.attribute = source.python_name
        elif kind == LOAD:
            plan.load = declaration_of(source.base_resolver.wrapped_func)  # type: ignore[assignment]
        if not _uses_variables(nodes[0]):
            plan.arguments = get_argument_values(definition, nodes[0], self.variables)
        plan.denied = coordinate in self.denied
        if coordinate in self.masked:
            plan.mask = self.masked[coordinate]
        plan.audited = coordinate in self.audited
        sub_selections = [n.selection_set for n in nodes if n.selection_set is not None]
        plan.completion = self._completion(definition.type, sub_selections, coordinate)
        return plan

    def _completion(
        self, gql_type: Any, selection_sets: list[SelectionSetNode], coordinate: str
    ) -> Completion:
        nullable = True
        if is_non_null_type(gql_type):
            nullable, gql_type = False, gql_type.of_type
        if is_list_type(gql_type):
            item = self._completion(gql_type.of_type, selection_sets, coordinate)
            return Completion(nullable, LIST, item=item, type_name=str(gql_type))
        named: GraphQLNamedType = gql_type
        if is_leaf_type(named):
            return Completion(
                nullable, LEAF, serialize=named.coerce_output_value, type_name=named.name
            )
        if is_object_type(named):
            fields = self.selection(named, selection_sets)  # type: ignore[arg-type]
            return Completion(nullable, OBJECT, fields=fields, type_name=named.name)
        if is_abstract_type(named):
            by_type = {
                possible.name: self.selection(possible, selection_sets)
                for possible in self.schema.get_possible_types(named)  # type: ignore[arg-type]
            }
            return Completion(nullable, ABSTRACT, by_type=by_type, type_name=named.name)
        raise Unplannable(coordinate, f"unsupported type {named}")
