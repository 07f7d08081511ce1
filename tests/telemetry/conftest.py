"""In-memory telemetry for the tests: every span and metric UniCRM records, kept for asserts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from unicrm.core.telemetry import metrics
from unicrm.core.telemetry.metrics import activate_metrics
from unicrm.core.telemetry.tracing import activate_tracing


@dataclass
class Recorded:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, [s.name for s in self.spans()]
        return found[0]

    def points(self, metric: str) -> list[Any]:
        """Every data point of ``metric`` collected so far."""
        data = self.reader.get_metrics_data()
        out = []
        for resource_metrics in data.resource_metrics if data else ():
            for scope in resource_metrics.scope_metrics:
                for m in scope.metrics:
                    if m.name == metric:
                        out.extend(m.data.data_points)
        return out


@pytest.fixture
def telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    """Telemetry on for one test, recorded in memory; off again afterwards. Gauges probe the
    database at every collection unless a test binds them with an interval."""
    monkeypatch.setattr(metrics, "PROBE_INTERVAL_SECONDS", 0.0)
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    activate_tracing(tracer_provider)
    activate_metrics(meter_provider)
    try:
        yield Recorded(exporter, reader)
    finally:
        activate_tracing(None)
        activate_metrics(None)
        tracer_provider.shutdown()
        meter_provider.shutdown()
