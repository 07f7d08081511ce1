"""Which telemetry to send where, from the standard ``OTEL_*`` environment variables.

Unlike the OpenTelemetry default (``otlp`` for every signal), a signal whose
``OTEL_<SIGNAL>_EXPORTER`` is unset sends nothing, so a UniCRM with no ``OTEL_*`` variables
runs with telemetry off. Everything else the SDK reads itself: ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_EXPORTER_OTLP_ENDPOINT``/``_HEADERS``/``_TIMEOUT`` and
their per-signal forms, ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``, ``OTEL_METRIC_EXPORT_INTERVAL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from unicrm.core.errors import ConfigError

EXPORTERS = ("otlp", "console")
SIGNALS = ("traces", "metrics", "logs")
PROTOCOLS = ("http/protobuf",)


def _exporters(environ: Mapping[str, str], signal: str) -> tuple[str, ...]:
    variable = f"OTEL_{signal.upper()}_EXPORTER"
    names = [n.strip().lower() for n in environ.get(variable, "").split(",") if n.strip()]
    for name in names:
        if name not in (*EXPORTERS, "none"):
            raise ConfigError(f"bad setting {variable}: {name!r}; expected otlp, console or none")
    if "none" in names:
        return ()
    return tuple(dict.fromkeys(names))


def _check_protocol(environ: Mapping[str, str], signal: str) -> None:
    for variable in (
        f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ):
        value = environ.get(variable, "").strip()
        if value and value not in PROTOCOLS:
            raise ConfigError(
                f"bad setting {variable}: {value!r}; UniCRM exports OTLP as http/protobuf"
            )


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    traces: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    logs: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.traces or self.metrics or self.logs)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TelemetryConfig:
        """The configuration ``environ`` asks for; a bad value is a ``ConfigError``."""
        if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return cls()
        chosen = {signal: _exporters(environ, signal) for signal in SIGNALS}
        for signal, exporters in chosen.items():
            if "otlp" in exporters:
                _check_protocol(environ, signal)
        return cls(**chosen)
