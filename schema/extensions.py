"""The per-request schema extensions: telemetry, parser and validation caches, request
limits, and the audit of every mutation (``MutationAudit``, see core/audit/extension.py).

Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` build a new validation rule class
on every instantiation. Made per request (extensions are factories, never shared instances),
they would change the validation rules on every request, and ``ValidationCache``, which is
keyed by the rules, would never hit. So the rules are built once per schema here and every
request's ``RequestLimits`` adds the same classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from graphql import ASTValidationRule, GraphQLError
from graphql.execution.middleware import MiddlewareManager
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from unicrm.core.audit.extension import MutationAudit
from unicrm.core.config import Settings
from unicrm.core.telemetry.graphql import OperationTelemetry
from unicrm.schema.errors import format_error

CACHE_SIZE = 1024


class RequestLimits(AddValidationRules):
    """Adds prebuilt validation rules and caps the number of tokens the parser reads."""

    def __init__(self, rules: Sequence[type[ASTValidationRule]], max_tokens: int) -> None:
        super().__init__(list(rules))
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.max_tokens
        yield from super().on_operation()


def error_code(error: GraphQLError) -> str:
    """The ``extensions.code`` a client sees for ``error`` (for the error metrics)."""
    return str(format_error(error)["extensions"].get("code", ""))


def request_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories for one schema: caches, depth/alias/token limits, introspection.

    Introspection is refused in production unless ``settings.introspection`` enables it.
    """
    limits = settings.limits
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
    ]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    frozen = tuple(rules)
    factories: list[Callable[[], Any]] = [
        lambda: OperationTelemetry(error_code=error_code),
        lambda: RequestLimits(frozen, limits.max_tokens),
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
