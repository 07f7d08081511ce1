"""OpenTelemetry for UniCRM: spans, metrics and logs, configured from ``OTEL_*`` variables.

What other modules call:

* ``span(name, **attributes)``: a child span around a block (no-op while tracing is off);
* ``current_traceparent()`` when storing work for later, ``use_traceparent(tp)`` when doing it,
  so a job, event handler or webhook delivery continues the trace that caused it;
* ``gauge(name, unit=..., description=...)``: register an async probe ``probe(db)`` whose value
  is published as an observable gauge (outbox lag, job queue depth, webhook failures).

``setup_telemetry()`` reads the environment once per process (``create_app`` calls it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from unicrm.core.telemetry.config import TelemetryConfig
from unicrm.core.telemetry.metrics import bind_gauges, gauge, unbind_gauges
from unicrm.core.telemetry.tracing import current_traceparent, span, use_traceparent

if TYPE_CHECKING:
    from unicrm.core.telemetry.sdk import Telemetry

__all__ = [
    "bind_gauges",
    "current_traceparent",
    "gauge",
    "setup_telemetry",
    "shutdown_telemetry",
    "span",
    "unbind_gauges",
    "use_traceparent",
]

_installed: Telemetry | None = None
_configured = False


def setup_telemetry(environ: Mapping[str, str] | None = None) -> Telemetry | None:
    """Install the telemetry ``OTEL_*`` asks for, once per process; None when it asks none."""
    global _installed, _configured
    if _configured:
        return _installed
    config = TelemetryConfig.from_env(os.environ if environ is None else environ)
    if config.enabled:
        from unicrm.core.telemetry import (
            outbox,  # noqa: F401  (registers the outbox lag gauge)
            queues,  # noqa: F401  (job and delivery gauges)
        )
        from unicrm.core.telemetry.sdk import install

        _installed = install(config)
    _configured = True
    return _installed


def shutdown_telemetry() -> None:
    """Flush and stop what ``setup_telemetry`` installed."""
    global _installed, _configured
    if _installed is not None:
        _installed.shutdown()
    _installed, _configured = None, False
