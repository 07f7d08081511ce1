"""The compiled query executor (docs/executor.md).

A query whose every selected field declares how it loads (unicrm.core.graph.plan) runs as a
plan: compiled once per document, operation, ``@skip``/``@include`` values and authorization
decisions, then walked by ``Runner`` with batched loads and no per-field graphql-core work.
Anything else (a field without a declaration, introspection, mutations, subscriptions) runs
through strawberry's normal execution; each fallback is counted
(``unicrm.graphql.executor.fallbacks``) and logged at debug level with the field that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    is_object_type,
)
from graphql.execution.values import get_variable_values

from unicrm.core.errors import PluginError
from unicrm.core.graph.plan import Loads, declaration_of
from unicrm.core.telemetry.metrics import instruments
from unicrm.schema.executor.plan import Compiler, Plan, Unplannable, directive_variables
from unicrm.schema.executor.run import Runner

log = logging.getLogger("unicrm.executor")

CACHE_LIMIT = 4096


def _operation(
    document: Any, operation_name: str | None
) -> tuple[OperationDefinitionNode | None, dict[str, FragmentDefinitionNode]]:
    fragments: dict[str, FragmentDefinitionNode] = {}
    chosen: OperationDefinitionNode | None = None
    count = 0
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            count += 1
            if operation_name is None or (
                definition.name is not None and definition.name.value == operation_name
            ):
                chosen = definition
    if operation_name is None and count != 1:
        chosen = None
    return chosen, fragments


class CompiledExecutor:
    """Plans and runs the queries of one composed schema; ``execute`` answers None when the
    query must run through strawberry's execution instead."""

    def __init__(self, strawberry_schema: Any) -> None:
        self.schema = strawberry_schema
        self.compiler = Compiler(strawberry_schema)
        self._plans: dict[Any, Plan | Unplannable] = {}
        self._directives: dict[Any, tuple[str, ...]] = {}

    def check(self, loaders: Collection[str]) -> None:
        """Startup check: every loader a field declares is registered."""
        problems = []
        for name, gql_type in self.compiler.schema.type_map.items():
            if not is_object_type(gql_type) or name.startswith("__"):
                continue
            for field_name in gql_type.fields:  # type: ignore[attr-defined]
                source = self.compiler.strawberry_field(name, field_name)
                resolver = getattr(source, "base_resolver", None)
                declared = declaration_of(resolver.wrapped_func if resolver else None)
                if isinstance(declared, Loads) and declared.loader not in loaders:
                    problems.append(f"{name}.{field_name} loads through {declared.loader!r}")
        if problems:
            raise PluginError("no such loader: " + "; ".join(sorted(problems)))

    def _fallback(self, operation_name: str | None, reason: Unplannable | str) -> None:
        coordinate = reason.coordinate if isinstance(reason, Unplannable) else ""
        found = instruments()
        if found is not None:
            found.executor_fallbacks.add(
                1, {"graphql.operation.name": operation_name or "", "coordinate": coordinate}
            )
        log.debug("operation %s runs through strawberry: %s", operation_name or "-", reason)

    def plan_for(self, execution_context: Any, guard: Any) -> tuple[Plan, Any] | Unplannable | None:
        """The plan of the request and its coerced variables, why there is none, or None
        when the request is not a query the compiler takes."""
        document = execution_context.graphql_document
        query = execution_context.query
        if document is None or query is None:
            return None
        operation, fragments = _operation(document, execution_context.operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        variables = get_variable_values(
            self.schema._schema,
            operation.variable_definitions or (),
            execution_context.variables or {},
        )
        if isinstance(variables, list):
            return None  # strawberry's execution reports the same errors
        document_key = (query, execution_context.operation_name)
        names = self._directives.get(document_key)
        if names is None:
            names = self._directives[document_key] = directive_variables(document)
        decisions = (
            None
            if guard is None
            else (guard.denied, frozenset(guard.masked.items()), guard.audited)
        )
        key = (document_key, tuple(variables.coerced.get(n) for n in names), decisions)
        found = self._plans.get(key)
        if found is None:
            try:
                found = self.compiler.compile(
                    operation,
                    fragments,
                    variables,
                    guard.denied if guard else frozenset(),
                    guard.masked if guard else {},
                    guard.audited if guard else frozenset(),
                )
            except Unplannable as reason:
                found = reason
            if len(self._plans) >= CACHE_LIMIT:
                self._plans.clear()
            self._plans[key] = found
        if isinstance(found, Unplannable):
            return found
        return found, variables

    async def execute(self, execution_context: Any, guard: Any) -> ExecutionResult | None:
        planned = self.plan_for(execution_context, guard)
        if planned is None:
            return None
        if isinstance(planned, Unplannable):
            self._fallback(execution_context.operation_name, planned)
            return None
        plan, variables = planned
        runner = Runner(
            plan,
            self.schema,
            execution_context.context,
            execution_context.root_value,
            variables,
            getattr(execution_context, "operation_extensions", None),
            guard.reads if guard is not None else None,
        )
        try:
            data, errors = await runner.run()
        except Exception:
            # A fault of the executor itself (resolver errors never get here): the query is
            # read-only, so strawberry's execution answers it instead.
            log.exception("compiled executor failed on %s", execution_context.operation_name)
            self._fallback(execution_context.operation_name, "the compiled executor failed")
            return None
        return ExecutionResult(data=data, errors=errors or None)
