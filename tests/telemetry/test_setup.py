"""Configuration from OTEL_* variables, export over OTLP to a real HTTP receiver, and telemetry
off by default without loading the SDK."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from unicrm.core.errors import ConfigError
from unicrm.core.telemetry.config import TelemetryConfig


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, TelemetryConfig()),
        ({"OTEL_SERVICE_NAME": "crm"}, TelemetryConfig()),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, TelemetryConfig(traces=("otlp",))),
        (
            {"OTEL_TRACES_EXPORTER": "otlp, console", "OTEL_METRICS_EXPORTER": "CONSOLE"},
            TelemetryConfig(traces=("otlp", "console"), metrics=("console",)),
        ),
        ({"OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "otlp,none"}, TelemetryConfig()),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, TelemetryConfig()),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
            TelemetryConfig(traces=("otlp",)),
        ),
        (  # the protocol matters only to a signal exported over OTLP
            {"OTEL_TRACES_EXPORTER": "console", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            TelemetryConfig(traces=("console",)),
        ),
    ],
    ids=["nothing", "name-only", "otlp", "two", "none", "disabled", "http", "console-grpc"],
)
def test_config_from_environment(environ, expected):
    assert TelemetryConfig.from_env(environ) == expected
    assert expected.enabled is bool(expected.traces or expected.metrics or expected.logs)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER: 'zipkin'"),
        ({"OTEL_LOGS_EXPORTER": "otlp,jaeger"}, "OTEL_LOGS_EXPORTER: 'jaeger'"),
        (
            {"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc'",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        ),
    ],
    ids=["unknown-exporter", "unknown-in-list", "grpc", "signal-protocol"],
)
def test_bad_config_is_one_clear_error(environ, message):
    with pytest.raises(ConfigError, match=message):
        TelemetryConfig.from_env(environ)


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A local OTLP/HTTP endpoint recording every export request."""
    received: list[tuple[str, bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return {**env, **extra}


EXPORT_SCRIPT = """
import logging
from unicrm.core.telemetry import setup_telemetry, shutdown_telemetry, span
from unicrm.core.telemetry.metrics import instruments

assert setup_telemetry() is not None
with span("otlp-check", job="nightly"):
    logging.getLogger("unicrm.check").warning("exported-log-line")
instruments().http_duration.record(0.25, {"http.route": "/graphql"})
shutdown_telemetry()
"""


@pytest.mark.slow
def test_otlp_exports_spans_metrics_and_logs_to_the_endpoint(otlp_receiver):
    endpoint, received = otlp_receiver
    env = _clean_env(
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        OTEL_SERVICE_NAME="unicrm-export-test",
    )
    done = subprocess.run(
        [sys.executable, "-c", EXPORT_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    by_path: dict[str, bytes] = {}
    for path, body in received:
        by_path[path] = by_path.get(path, b"") + body
    assert set(by_path) == {"/v1/traces", "/v1/metrics", "/v1/logs"}
    assert b"otlp-check" in by_path["/v1/traces"] and b"nightly" in by_path["/v1/traces"]
    assert b"http.server.request.duration" in by_path["/v1/metrics"]
    assert b"exported-log-line" in by_path["/v1/logs"]
    for body in by_path.values():
        assert b"unicrm-export-test" in body


OFF_SCRIPT = """
import asyncio, sys
import httpx
from opentelemetry import trace
from unicrm.core.app import create_app
from unicrm.core.config import load_settings
from unicrm.core.telemetry import setup_telemetry
from unicrm.core.telemetry.metrics import instruments
from unicrm.core.telemetry.tracing import tracer

app = create_app(load_settings(data_dir=sys.argv[1]))

async def main():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/healthz")).status_code == 200

asyncio.run(main())
assert setup_telemetry() is None
assert tracer() is None and instruments() is None
assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry.sdk"))
assert loaded == [], loaded
print("off")
"""


@pytest.mark.slow
def test_without_otel_variables_telemetry_is_off_and_the_sdk_never_loads(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-c", OFF_SCRIPT, str(tmp_path)],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "off"


@pytest.mark.slow
def test_otlp_without_the_exporter_package_names_the_extra(tmp_path: Path):
    # A path entry that hides the OTLP exporter package, as on an install without [otlp].
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.startswith('opentelemetry.exporter.otlp'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    script = (
        "from unicrm.core.errors import ConfigError\n"
        "from unicrm.core.telemetry import setup_telemetry\n"
        "try:\n    setup_telemetry()\nexcept ConfigError as e:\n    print(e)\n"
    )
    env = _clean_env(OTEL_TRACES_EXPORTER="otlp", PYTHONPATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "unicrm[otlp]" in done.stdout
