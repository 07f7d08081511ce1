"""Spans for event handlers and webhook deliveries, parented by the event's ``traceparent``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

tracer = trace.get_tracer("unicrm.events")


@contextmanager
def event_span(
    name: str, traceparent: str | None, attributes: dict[str, str | int]
) -> Iterator[Span]:
    """A consumer span in the trace that emitted the event (a new trace if it had none)."""
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    with tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


def inject_headers(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus the current trace context (``traceparent``) for an outgoing request."""
    propagate.inject(headers)
    return headers
