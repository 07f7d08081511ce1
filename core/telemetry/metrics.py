"""UniCRM's metrics: request and operation latency, GraphQL errors, and registered gauges.

The instruments exist only while telemetry is on (:func:`instruments` is None otherwise).
Other modules publish a value sampled from the database (outbox lag, job queue depth, webhook
failures) by registering an async probe with :func:`gauge`; the probe runs on the
application's event loop whenever the metrics are collected, at most once every
``PROBE_INTERVAL_SECONDS`` per gauge: a collection in between reports the cached value, so
however often an exporter or scraper collects, the database sees one cheap query per interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry.metrics import (
    CallbackOptions,
    Counter,
    Histogram,
    Meter,
    MeterProvider,
    Observation,
)

from unicrm.core.telemetry.tracing import INSTRUMENTATION_NAME

if TYPE_CHECKING:
    from unicrm.core.db.database import Database

log = logging.getLogger("unicrm.telemetry")

HTTP_DURATION = "http.server.request.duration"
OPERATION_DURATION = "unicrm.graphql.operation.duration"
GRAPHQL_ERRORS = "unicrm.graphql.errors"
EXECUTOR_FALLBACKS = "unicrm.graphql.executor.fallbacks"
PROBE_TIMEOUT_SECONDS = 5.0
PROBE_INTERVAL_SECONDS = 15.0

Probe = Callable[["Database"], Awaitable[float | Sequence[Observation]]]


@dataclass(frozen=True, slots=True)
class Instruments:
    """The synchronous instruments the request path records into."""

    http_duration: Histogram
    operation_duration: Histogram
    graphql_errors: Counter
    executor_fallbacks: Counter

    @classmethod
    def on(cls, meter: Meter) -> Instruments:
        return cls(
            http_duration=meter.create_histogram(
                HTTP_DURATION, unit="s", description="Duration of HTTP requests."
            ),
            operation_duration=meter.create_histogram(
                OPERATION_DURATION,
                unit="s",
                description="Duration of GraphQL operations, by operation name and type.",
            ),
            graphql_errors=meter.create_counter(
                GRAPHQL_ERRORS,
                unit="{error}",
                description="GraphQL errors returned to clients, by extensions.code.",
            ),
            executor_fallbacks=meter.create_counter(
                EXECUTOR_FALLBACKS,
                unit="{operation}",
                description="Queries the compiled executor left to strawberry's execution, "
                "by operation name and the field that caused it.",
            ),
        )


@dataclass(frozen=True, slots=True)
class GaugeSpec:
    name: str
    probe: Probe
    unit: str
    description: str


_gauges: dict[str, GaugeSpec] = {}
_meter: Meter | None = None
_instruments: Instruments | None = None
_binding: tuple[asyncio.AbstractEventLoop, Database] | None = None
_interval = PROBE_INTERVAL_SECONDS
_cache: dict[str, tuple[float, list[Observation]]] = {}


def instruments() -> Instruments | None:
    """The active instruments, or None while metrics are off."""
    return _instruments


def gauge(name: str, *, unit: str = "1", description: str = "") -> Callable[[Probe], Probe]:
    """Register ``probe`` as the observable gauge ``name``.

    ``probe(db)`` returns a number, or ``Observation``s with attributes (one per queue, say).
    It runs on the application's event loop when metrics are collected, never on a request.
    """

    def register(probe: Probe) -> Probe:
        if name in _gauges and _gauges[name].probe is not probe:
            raise ValueError(f"a gauge named {name!r} is already registered")
        spec = _gauges[name] = GaugeSpec(name, probe, unit, description)
        if _meter is not None:
            _create_gauge(_meter, spec)
        return probe

    return register


def registered_gauges() -> list[str]:
    return sorted(_gauges)


def activate_metrics(provider: MeterProvider | None) -> None:
    """Record UniCRM's metrics with ``provider`` (None turns metrics off)."""
    global _meter, _instruments
    if provider is None:
        _meter = _instruments = None
        return
    _meter = provider.get_meter(INSTRUMENTATION_NAME)
    _instruments = Instruments.on(_meter)
    for spec in _gauges.values():
        _create_gauge(_meter, spec)


def bind_gauges(
    db: Database,
    loop: asyncio.AbstractEventLoop | None = None,
    *,
    interval: float | None = None,
) -> None:
    """Let the gauges probe ``db`` on ``loop`` (the running loop by default), each at most
    every ``interval`` seconds (``PROBE_INTERVAL_SECONDS`` by default)."""
    global _binding, _interval
    _binding = (loop or asyncio.get_running_loop(), db)
    _interval = PROBE_INTERVAL_SECONDS if interval is None else interval
    _cache.clear()


def unbind_gauges() -> None:
    global _binding
    _binding = None
    _cache.clear()


def _create_gauge(meter: Meter, spec: GaugeSpec) -> None:
    meter.create_observable_gauge(
        spec.name, callbacks=[_observer(spec)], unit=spec.unit, description=spec.description
    )


def _observer(spec: GaugeSpec) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(options: CallbackOptions) -> Iterable[Observation]:
        binding = _binding
        if binding is None:
            return []
        loop, db = binding
        try:
            in_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            in_loop = False
        if in_loop or loop.is_closed():
            # Collection on the loop's own thread cannot wait for the loop: skip this round.
            return []
        cached = _cache.get(spec.name)
        if cached is not None and time.monotonic() - cached[0] < _interval:
            return cached[1]
        future = asyncio.run_coroutine_threadsafe(spec.probe(db), loop)
        timeout = min(options.timeout_millis / 1000, PROBE_TIMEOUT_SECONDS)
        try:
            value = future.result(timeout)
        except Exception as exc:
            future.cancel()
            log.warning("gauge %s: probe failed: %s", spec.name, type(exc).__name__)
            return []
        observations = [Observation(value)] if isinstance(value, int | float) else list(value)
        _cache[spec.name] = (time.monotonic(), observations)
        return observations

    return observe
