"""A span and metrics per GraphQL operation, never per field.

The span names the operation and its type and carries a hash of the document. It never
carries the query text (literals in it may be personal data) nor the variables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from time import perf_counter
from typing import Any

from graphql import GraphQLError
from opentelemetry.trace import Span, Status, StatusCode
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from unicrm.core.telemetry import metrics, tracing
from unicrm.core.telemetry.asgi import RequestInfo, current_request

ErrorCode = Callable[[GraphQLError], str]
REQUEST_ERRORS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)


class OperationTelemetry(SchemaExtension):
    """Spans, latency and error counts of one operation; fills the request's access log info.

    ``error_code`` gives an error's ``extensions.code`` as the client will see it.
    """

    def __init__(self, *, error_code: ErrorCode, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self.error_code = error_code

    def on_operation(self) -> Iterator[None]:
        started = perf_counter()
        active = tracing.tracer()
        opened = (
            nullcontext()
            if active is None
            # Exception messages may quote the document (a syntax error does): type only.
            else active.start_as_current_span(
                "graphql.operation", record_exception=False, set_status_on_exception=False
            )
        )
        with opened as current:
            try:
                yield
            except Exception as exc:
                self._finish(current, started, exc)
                raise
            self._finish(current, started, None)

    def _codes(self, raised: Exception | None) -> list[str]:
        """The ``extensions.code`` of every error the client will get."""
        if isinstance(raised, GraphQLError):  # strawberry returns it as the only error
            return [self.error_code(raised)]
        if raised is not None:
            # Operation-level request errors (no query, a wrong operation type) are answered
            # by the HTTP layer; anything else becomes one internal error.
            return [] if isinstance(raised, REQUEST_ERRORS) else ["INTERNAL"]
        return [self.error_code(error) for error in self._errors()]

    def _errors(self) -> list[GraphQLError]:
        context = self.execution_context
        result = context.result
        if result is not None and result.errors:
            return list(result.errors)
        return list(context.pre_execution_errors or ())

    def _operation_type(self) -> str | None:
        try:
            return self.execution_context.operation_type.value
        except Exception:  # an unparsable document or an unknown operation has no type
            return None

    def _finish(self, current: Span | None, started: float, raised: Exception | None) -> None:
        context = self.execution_context
        name = context.operation_name
        kind = self._operation_type()
        request_context = context.context
        department = getattr(getattr(request_context, "department", None), "slug", None)
        actor_kind = getattr(getattr(request_context, "actor", None), "kind", None)
        info = current_request()
        if info is not None:
            _fill(info, name, kind, department, actor_kind)
        codes = self._codes(raised)
        if current is not None:
            current.update_name(" ".join(p for p in (kind or "graphql", name) if p))
            current.set_attributes(
                {
                    "graphql.operation.name": name or "",
                    "graphql.operation.type": kind or "",
                    "graphql.document.hash": _document_hash(context.query),
                    "unicrm.graphql.error_count": len(codes),
                    "unicrm.department": department or "",
                    "unicrm.actor.kind": actor_kind or "",
                }
            )
            if codes:
                current.set_attribute("unicrm.graphql.error_codes", sorted(set(codes)))
            if "INTERNAL" in codes:
                current.set_status(Status(StatusCode.ERROR, "internal error"))
            if raised is not None:
                tracing.mark_failed(current, raised)
        instruments = metrics.instruments()
        if instruments is None:
            return
        attributes = {
            "graphql.operation.name": name or "",
            "graphql.operation.type": kind or "",
        }
        instruments.operation_duration.record(perf_counter() - started, attributes)
        for code in codes:
            instruments.graphql_errors.add(1, {**attributes, "error.code": code})


def _fill(
    info: RequestInfo,
    name: str | None,
    kind: str | None,
    department: str | None,
    actor_kind: str | None,
) -> None:
    info.operation_name = name
    info.operation_type = kind
    info.department = department
    info.actor_kind = actor_kind


def _document_hash(query: str | None) -> str:
    """sha256 of the document text: the persisted-query id, identifying it without its text."""
    return hashlib.sha256((query or "").encode()).hexdigest()
