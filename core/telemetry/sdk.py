"""Building the OpenTelemetry SDK providers and exporters a :class:`TelemetryConfig` asks for.

Imported only when some telemetry is configured: a UniCRM with telemetry off never loads the
SDK. OTLP needs the ``otlp`` extra (``pip install 'unicrm[otlp]'``).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, ConsoleLogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from unicrm.core.errors import ConfigError
from unicrm.core.telemetry.config import TelemetryConfig
from unicrm.core.telemetry.logs import ROOT_LOGGER
from unicrm.core.telemetry.metrics import activate_metrics
from unicrm.core.telemetry.tracing import activate_tracing

DEFAULT_SERVICE_NAME = "unicrm"


@dataclass
class Telemetry:
    """The SDK providers of this process; ``shutdown`` flushes and stops them."""

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    logger_provider: LoggerProvider | None = None
    log_handler: logging.Handler | None = None

    def shutdown(self) -> None:
        activate_tracing(None)
        activate_metrics(None)
        if self.log_handler is not None:
            logging.getLogger(ROOT_LOGGER).removeHandler(self.log_handler)
        for provider in (self.tracer_provider, self.meter_provider, self.logger_provider):
            if provider is not None:
                provider.shutdown()


def resource() -> Resource:
    """The SDK's resource (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``), named unicrm
    when neither names the service."""
    detected = Resource.create()
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        detected = detected.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return detected


def _otlp(signal: str) -> Any:
    try:
        if signal == "traces":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter()
        if signal == "metrics":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )

            return OTLPMetricExporter()
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        return OTLPLogExporter()
    except ImportError:
        raise ConfigError(
            f"bad setting OTEL_{signal.upper()}_EXPORTER: otlp needs the OTLP exporter; "
            "install it with pip install 'unicrm[otlp]'"
        ) from None


def _exporter(signal: str, name: str) -> Any:
    if name == "otlp":
        return _otlp(signal)
    return {
        "traces": ConsoleSpanExporter,
        "metrics": ConsoleMetricExporter,
        "logs": ConsoleLogRecordExporter,
    }[signal]()


def install(config: TelemetryConfig) -> Telemetry:
    """Build the providers ``config`` asks for, make them global and send UniCRM's data there."""
    telemetry = Telemetry()
    shared = resource()
    if config.traces:
        tracer_provider = TracerProvider(resource=shared)
        for name in config.traces:
            tracer_provider.add_span_processor(BatchSpanProcessor(_exporter("traces", name)))
        trace.set_tracer_provider(tracer_provider)
        activate_tracing(tracer_provider)
        telemetry.tracer_provider = tracer_provider
    if config.metrics:
        readers = [
            PeriodicExportingMetricReader(_exporter("metrics", name)) for name in config.metrics
        ]
        meter_provider = MeterProvider(resource=shared, metric_readers=readers)
        otel_metrics.set_meter_provider(meter_provider)
        activate_metrics(meter_provider)
        telemetry.meter_provider = meter_provider
    if config.logs:
        logger_provider = LoggerProvider(resource=shared)
        for name in config.logs:
            logger_provider.add_log_record_processor(
                BatchLogRecordProcessor(_exporter("logs", name))
            )
        with warnings.catch_warnings():
            # The SDK's handler is marked deprecated in favour of a separate package; it is
            # still the SDK's own way to bridge stdlib logging and does what UniCRM needs.
            warnings.simplefilter("ignore", DeprecationWarning)
            handler = LoggingHandler(logger_provider=logger_provider)
        logging.getLogger(ROOT_LOGGER).addHandler(handler)
        telemetry.logger_provider = logger_provider
        telemetry.log_handler = handler
    return telemetry
