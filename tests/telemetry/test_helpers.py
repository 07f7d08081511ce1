"""The helpers other modules call: span, current_traceparent and use_traceparent."""

from __future__ import annotations

import pytest

from unicrm.core.telemetry import current_traceparent, span, use_traceparent


def test_span_nests_and_carries_attributes(telemetry):
    with span("jobs.run", job="expire_points", attempt=2), span("jobs.step"):
        pass
    outer, inner = telemetry.named("jobs.run"), telemetry.named("jobs.step")
    assert outer.attributes == {"job": "expire_points", "attempt": 2}
    assert inner.parent.span_id == outer.context.span_id


def test_span_marks_an_escaping_exception_by_type_only(telemetry):
    with pytest.raises(ValueError), span("webhooks.deliver"):
        raise ValueError("refused for somchai@example.com")
    failed = telemetry.named("webhooks.deliver")
    assert not failed.status.is_ok
    assert failed.attributes["error.type"] == "ValueError"
    assert failed.events == ()  # the message (which may hold personal data) is not recorded
    assert "somchai" not in str(failed.status.description)


def test_traceparent_continues_a_trace_in_later_work(telemetry):
    with span("request") as request:
        stored = current_traceparent()
    assert stored is not None
    context = request.get_span_context()
    assert stored.startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}-")

    with use_traceparent(stored), span("job"):
        pass
    job = telemetry.named("job")
    assert job.context.trace_id == context.trace_id
    assert job.parent.span_id == context.span_id
    assert current_traceparent() is None  # the job's context ended with the block


@pytest.mark.parametrize("stored", [None, "", "garbage", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"])
def test_use_traceparent_ignores_missing_or_invalid_values(telemetry, stored):
    with use_traceparent(stored), span("job"):
        pass
    assert telemetry.named("job").parent is None


def test_helpers_are_no_ops_while_tracing_is_off():
    with span("anything", key="value") as current:
        assert not current.is_recording()
        assert current_traceparent() is None
    with use_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"):
        # The trace is carried even while off, so work done here stays linked.
        assert current_traceparent() == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
