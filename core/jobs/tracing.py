"""Trace context for jobs: the enqueuing trace is stored on the job and continued by its run.

The job-run span is opened in ``job_span``; it is the one place to attach job telemetry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context, propagate, trace

tracer = trace.get_tracer("unicrm.jobs")


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the active span, or None outside a recorded trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def job_span(job_type: str, job_id: str, attempt: int, traceparent: str | None) -> Iterator[None]:
    """Run a job attempt as a span that continues the trace that enqueued it."""
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    token = context.attach(parent)
    try:
        with tracer.start_as_current_span(
            f"job {job_type}",
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "unicrm.job.type": job_type,
                "unicrm.job.id": job_id,
                "unicrm.job.attempt": attempt,
            },
        ):
            yield
    finally:
        context.detach(token)
