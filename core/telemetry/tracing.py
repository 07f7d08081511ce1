"""Spans for UniCRM code, and carrying a trace into jobs, event handlers and webhook deliveries.

Instrumentation asks :func:`tracer` for the active tracer; it is None while telemetry is off,
so the hot paths (every request, every SQL statement) skip all tracing work with one check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

INSTRUMENTATION_NAME = "unicrm"
TRACEPARENT = "traceparent"

_propagator = TraceContextTextMapPropagator()
_tracer: Tracer | None = None


def tracer() -> Tracer | None:
    """The tracer of the active telemetry, or None when tracing is off."""
    return _tracer


def activate_tracing(provider: TracerProvider | None) -> None:
    """Send UniCRM's spans to ``provider`` (None turns tracing off)."""
    global _tracer
    _tracer = None if provider is None else provider.get_tracer(INSTRUMENTATION_NAME)


@contextmanager
def span(name: str, **attributes: AttributeValue) -> Iterator[Span]:
    """A span around a block, a child of the current span; a no-op while tracing is off.

    ``with span("loyalty.expire_points", batch=100) as s: ...``. An exception escaping the
    block marks the span as an error with the exception's type (see :func:`mark_failed`).
    """
    active = _tracer
    if active is None:
        yield trace.INVALID_SPAN
        return
    with active.start_as_current_span(
        name,
        attributes=attributes or None,
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            mark_failed(current, exc)
            raise


@contextmanager
def consumer_span(
    name: str, traceparent: str | None, attributes: dict[str, AttributeValue]
) -> Iterator[Span]:
    """Work done later for a trace (a job run, an event handler, a webhook delivery): a
    consumer span continuing ``traceparent``'s trace, or a new trace without a valid one.
    While UniCRM's tracing is off the block still runs in that trace's context, so code that
    reads the current trace (logs, an outer instrumentation) sees it."""
    active = _tracer
    if active is None:
        with use_traceparent(traceparent):
            yield trace.get_current_span()
        return
    parent = context_from_traceparent(traceparent) or otel_context.Context()
    with active.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            mark_failed(current, exc)
            raise


def with_traceparent(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus the current trace's ``traceparent``, for an outgoing request."""
    found = current_traceparent()
    if found is not None:
        headers[TRACEPARENT] = found
    return headers


def mark_failed(current: Span, error: BaseException) -> None:
    """Mark ``current`` as failed by ``error``'s type only.

    Never the message: database and GraphQL errors quote values and documents, which may be
    personal data. The traceback is in the log line that carries the same trace id.
    """
    name = type(error).__name__
    current.set_attribute("error.type", name)
    current.set_status(Status(StatusCode.ERROR, name))


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, to store with work done later."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def context_from_traceparent(traceparent: str | None) -> otel_context.Context | None:
    """The context a ``traceparent`` value continues, or None when it is missing or invalid."""
    if not traceparent:
        return None
    extracted = _propagator.extract({TRACEPARENT: traceparent})
    if not trace.get_current_span(extracted).get_span_context().is_valid:
        return None
    return extracted


@contextmanager
def use_traceparent(traceparent: str | None) -> Iterator[None]:
    """Continue the trace of ``traceparent`` inside the block (a job, handler or delivery).

    Spans started in the block become children of the span that produced ``traceparent``.
    A missing or malformed value leaves the current context alone.
    """
    extracted = context_from_traceparent(traceparent)
    if extracted is None:
        yield
        return
    token = otel_context.attach(extracted)
    try:
        yield
    finally:
        otel_context.detach(token)
