"""One strawberry schema per plugin set: core roots + plugin roots + plugin fields on core types.

Strawberry cannot merge ``extend type`` across modules, so ``ComposedSchema.get_fields``
appends the fields that core aggregates and plugins contribute to a type. Hooks return fresh
field objects on every call, so every schema gets its own. A duplicate ``Type.field`` is a
startup error naming both contributors; a plugin field on a core type must be nullable.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql.execution.middleware import MiddlewareManager
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField

from unicrm.core.audit.reads import record_sensitive_reads
from unicrm.core.errors import PluginError
from unicrm.core.graph.scalars import SCALAR_MAP
from unicrm.core.plugins.manager import CORE_PLUGIN_NAME
from unicrm.core.state import AppState
from unicrm.schema.authz import Requirements, field_guard
from unicrm.schema.errors import log_unexpected
from unicrm.schema.executor import CompiledExecutor
from unicrm.schema.extensions import request_extensions, with_mutation_audit


class ComposedSchema(strawberry.Schema):
    """A strawberry schema whose types carry the fields core aggregates and plugins add."""

    def __init__(
        self,
        *args: Any,
        type_fields: dict[str, list[StrawberryField]],
        compiled: bool = True,
        **kwargs: Any,
    ):
        self._type_fields = type_fields
        super().__init__(*args, **kwargs)
        self.requirements = Requirements.of(self)
        self.executor = CompiledExecutor(self) if compiled else None

    def get_fields(self, type_definition: Any) -> list[StrawberryField]:
        extra = self._type_fields.get(type_definition.name)
        return [*type_definition.fields, *extra] if extra else type_definition.fields

    async def _execute_operation(
        self,
        execution_context: ExecutionContext,
        extensions_runner: Any,
        middleware_manager: MiddlewareManager,
        *args: Any,
    ) -> Any:
        """Execute with a ``FieldGuard`` when the actor may not read everything asked for, or
        reads sensitive fields that are audited."""
        ctx = execution_context.context
        access = getattr(ctx, "access", None)
        document = execution_context.graphql_document
        guard = None
        if access is not None and document is not None:
            guard = field_guard(
                self.requirements,
                access,
                document,
                execution_context.query or "",
                execution_context.operation_name,
                audit_sensitive=ctx.settings.audit.sensitive_reads,
            )
            if guard is not None:
                middleware_manager = MiddlewareManager(guard, *middleware_manager.middlewares)
        middleware_manager = with_mutation_audit(
            execution_context, extensions_runner, middleware_manager
        )
        if self.executor is not None and not execution_context.result:
            # A planned query's result is set here; strawberry's execution then only reports it.
            execution_context.result = await self.executor.execute(execution_context, guard)
        result = await super()._execute_operation(
            execution_context, extensions_runner, middleware_manager, *args
        )
        if guard is not None and guard.reads:
            await record_sensitive_reads(ctx, execution_context.operation_name, guard.reads)
        return result

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        log_unexpected(errors)


CONFIG = StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP)


def _field_name(field: StrawberryField) -> str:
    return CONFIG.name_converter.from_field(field)


def collect_type_fields(
    state: AppState, plugins: frozenset[str]
) -> dict[str, list[StrawberryField]]:
    owners: dict[tuple[str, str], str] = {}
    out: dict[str, list[StrawberryField]] = {}
    for plugin, contributed in state.manager.collect("graphql_type_fields", only=plugins):
        for type_name, fields in contributed.items():
            for field in fields:
                if not isinstance(field, StrawberryField) or not field.python_name:
                    raise PluginError(
                        f"plugin {plugin!r}: fields for {type_name} must be named StrawberryFields"
                    )
                name = _field_name(field)
                key = (type_name, name)
                if key in owners:
                    raise PluginError(
                        f"field {type_name}.{name} is contributed by {owners[key]!r} and {plugin!r}"
                    )
                if plugin != CORE_PLUGIN_NAME and not isinstance(field.type, StrawberryOptional):
                    raise PluginError(
                        f"plugin {plugin!r}: field {type_name}.{name} must be nullable"
                    )
                owners[key] = plugin
                out.setdefault(type_name, []).append(field)
    return out


def merge_roots(name: str, roots: list[tuple[str, type]]) -> type | None:
    """Merge the root types of core and plugins; a field defined twice names both owners."""
    if not roots:
        return None
    owners: dict[str, str] = {}
    for plugin, root in roots:
        for field in root.__strawberry_definition__.fields:
            field_name = _field_name(field)
            if field_name in owners:
                raise PluginError(
                    f"field {name}.{field_name} is contributed by {owners[field_name]!r} "
                    f"and {plugin!r}"
                )
            owners[field_name] = plugin
    return merge_types(name, tuple(root for _, root in roots))


def build_schema(state: AppState, plugins: frozenset[str]) -> ComposedSchema:
    """Compose the schema a department with ``plugins`` enabled sees."""
    state.registry.check_enabled(plugins)
    collect = state.manager.collect
    extra_types = [t for _, ts in state.manager.collect("graphql_types", only=plugins) for t in ts]
    schema = ComposedSchema(
        query=merge_roots("Query", collect("graphql_query", only=plugins)),
        mutation=merge_roots("Mutation", collect("graphql_mutation", only=plugins)),
        subscription=merge_roots("Subscription", collect("graphql_subscription", only=plugins)),
        types=extra_types,
        extensions=request_extensions(state.settings),
        config=CONFIG,
        type_fields=collect_type_fields(state, plugins),
        compiled=state.settings.compiled_executor,
    )
    if schema.executor is not None:
        schema.executor.check(state.registry.loader_factories)
    return schema
