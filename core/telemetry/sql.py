"""A client span for every SQL statement, from SQLAlchemy's engine events.

The span carries the statement as the database receives it: parameters stay bound, so the
values never reach the trace. Listeners are attached to the async engine's ``sync_engine``;
SQLAlchemy runs them inside the calling task's context, so statements nest under the span of
the request or job that issued them.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind
from sqlalchemy import event
from sqlalchemy.engine import Engine

from unicrm.core.telemetry import tracing

SPAN_ATTR = "_unicrm_span"
DB_SYSTEMS = {"sqlite": "sqlite", "postgresql": "postgresql"}


def _operation(statement: str) -> str:
    """The statement's first keyword (SELECT, INSERT, ...): a span name of low cardinality."""
    head = statement.lstrip().split(None, 1)
    return head[0].upper() if head else "SQL"


def _take_span(context: Any) -> Any:
    """The span ``before`` started for this execution, detached from it."""
    current = getattr(context, SPAN_ATTR, None) if context is not None else None
    if current is not None:
        setattr(context, SPAN_ATTR, None)
    return current


def instrument_engine(engine: Engine) -> None:
    """Trace every statement ``engine`` executes while tracing is on."""
    system = DB_SYSTEMS.get(engine.dialect.name, engine.dialect.name)
    database = engine.url.database or ""

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        active = tracing.tracer()
        if active is None or context is None:
            return
        operation = _operation(statement)
        setattr(
            context,
            SPAN_ATTR,
            active.start_span(
                operation,
                kind=SpanKind.CLIENT,
                attributes={
                    "db.system.name": system,
                    "db.namespace": database,
                    "db.operation.name": operation,
                    "db.query.text": statement,
                },
            ),
        )

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        current = _take_span(context)
        if current is not None:
            current.end()

    def failed(exception_context: Any) -> None:
        context = exception_context.execution_context
        current = _take_span(context)
        if current is not None:
            tracing.mark_failed(current, exception_context.original_exception)
            current.end()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
