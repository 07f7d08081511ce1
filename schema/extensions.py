"""The per-request schema extensions: telemetry, parser and validation caches, request
limits, and the audit of every mutation (``MutationAudit``, see core/audit/extension.py).

Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` build a new validation rule class
on every instantiation. Made per request (extensions are factories, never shared instances),
they would change the validation rules on every request, and ``ValidationCache``, which is
keyed by the rules, would never hit. So each distinct set of limits gets its rules built once
(``validation_rules``, cached for the process), and every request of a department adds the
same classes: departments with the same limits share one rule set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ASTValidationRule, GraphQLError
from graphql.execution.middleware import MiddlewareManager
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from unicrm.core.audit.extension import MutationAudit
from unicrm.core.config import Limits, Settings
from unicrm.core.telemetry.graphql import OperationTelemetry
from unicrm.schema.errors import format_error

CACHE_SIZE = 1024


@lru_cache(maxsize=256)
def validation_rules(
    max_depth: int, max_aliases: int, introspection: bool
) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules of one set of limits, the same classes on every call."""
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


class RequestLimits(SchemaExtension):
    """Applies the limits of the request's department: validation rules and a token cap.

    The context's ``limits`` (the department's effective limits) wins; a context without one
    (e.g. a script executing the schema directly) gets the global limits.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        limits: Limits = getattr(context, "limits", None) or self.settings.limits
        rules = validation_rules(
            limits.max_depth, limits.max_aliases, self.settings.introspection_enabled
        )
        self.execution_context.validation_rules = self.execution_context.validation_rules + rules
        self.execution_context.parse_options["max_tokens"] = limits.max_tokens
        yield


def error_code(error: GraphQLError) -> str:
    """The ``extensions.code`` a client sees for ``error`` (for the error metrics)."""
    return str(format_error(error)["extensions"].get("code", ""))


def request_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories for one schema: caches, depth/alias/token limits, introspection.

    Introspection is refused in production unless ``settings.introspection`` enables it.
    """
    factories: list[Callable[[], Any]] = [
        lambda: OperationTelemetry(error_code=error_code),
        lambda: RequestLimits(settings),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        MutationAudit,
    ]
    return factories


def with_mutation_audit(
    execution_context: ExecutionContext, extensions_runner: Any, middleware: MiddlewareManager
) -> MiddlewareManager:
    """For a mutation, ``middleware`` plus the ``MutationAudit`` capture (innermost, so a field
    refused by authorization is recorded from its error); anything else runs unchanged."""
    if execution_context.operation_type is not OperationType.MUTATION:
        return middleware
    audits = [e for e in extensions_runner.extensions if isinstance(e, MutationAudit)]
    if not audits:
        return middleware
    return MiddlewareManager(*middleware.middlewares, *(a.capture for a in audits))
