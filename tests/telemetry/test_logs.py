"""JSON and plain log lines with trace ids, and the per-request access log line."""

from __future__ import annotations

import logging

import orjson
import pytest

from unicrm.core.config import load_settings
from unicrm.core.errors import ConfigError
from unicrm.core.telemetry import span
from unicrm.core.telemetry.logs import JsonFormatter, PlainFormatter, configure_logging

SECRET = "Siriporn-Secret-Value"


def _record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "unicrm.test", "levelname": "INFO", "levelno": 20})
    record.msg, record.args = message, args or ("world",)
    record.__dict__.update(extra)
    return record


def test_json_line_carries_trace_and_span_ids_inside_a_span(telemetry):
    with span("work") as current:
        line = orjson.loads(JsonFormatter().format(_record(customer_count=3)))
    context = current.get_span_context()
    assert line["message"] == "hello world"
    assert line["level"] == "INFO"
    assert line["logger"] == "unicrm.test"
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"
    assert line["customer_count"] == 3


def test_json_line_outside_a_span_has_no_ids():
    line = orjson.loads(JsonFormatter().format(_record()))
    assert "trace_id" not in line and "span_id" not in line


def test_json_line_includes_the_traceback_of_an_exception():
    try:
        raise KeyError("missing")
    except KeyError:
        record = _record()
        record.exc_info = __import__("sys").exc_info()
    line = orjson.loads(JsonFormatter().format(record))
    assert "KeyError" in line["exception"]


def test_plain_line_appends_the_ids_inside_a_span(telemetry):
    with span("work") as current:
        text = PlainFormatter().format(_record())
    assert text.endswith(
        f"[trace={current.get_span_context().trace_id:032x} "
        f"span={current.get_span_context().span_id:016x}]"
    )
    assert "INFO unicrm.test hello world" in text


def test_configure_logging_replaces_its_own_handler_instead_of_stacking():
    logger = logging.getLogger("unicrm")
    before = list(logger.handlers)
    try:
        first = configure_logging("json", "INFO")
        second = configure_logging("plain", "WARNING")
        ours = [h for h in logger.handlers if h not in before]
        assert ours == [second] and first not in logger.handlers
        assert isinstance(second.formatter, PlainFormatter)
        assert logger.level == logging.WARNING
    finally:
        for handler in logger.handlers[:]:
            if handler not in before:
                logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def test_log_format_setting_accepts_json_and_plain_only(monkeypatch):
    monkeypatch.setenv("UNICRM_LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("UNICRM_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="UNICRM_LOG_FORMAT"):
        load_settings()


def _access(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "unicrm.access"]


async def test_access_line_names_operation_department_and_actor_without_values(client, caplog):
    query = f'query FindCustomers {{ customers(first: 1, search: "{SECRET}") {{ totalCount }} }}'
    with caplog.at_level(logging.INFO, logger="unicrm.access"):
        response = await client.get("/graphql", params={"query": query})
    assert response.status_code == 200
    (record,) = _access(caplog)
    assert record.method == "GET"
    assert record.path == "/graphql"
    assert record.status == 200
    assert record.duration_ms > 0
    assert record.operation == "FindCustomers"
    assert record.operation_type == "query"
    assert record.department == "default"
    assert record.actor_kind == "user"  # the test client signs in
    line = JsonFormatter().format(record)
    assert SECRET not in line and "customers(" not in line
    assert orjson.loads(line)["operation"] == "FindCustomers"


async def test_access_line_for_a_request_refused_before_graphql(client, caplog):
    with caplog.at_level(logging.INFO, logger="unicrm.access"):
        response = await client.post("/graphql/no-such-department", json={"query": "{ a }"})
    assert response.status_code == 404
    (record,) = _access(caplog)
    assert (record.status, record.operation, record.department) == (404, None, None)


async def test_health_probes_are_logged_at_debug(client, caplog):
    with caplog.at_level(logging.INFO, logger="unicrm.access"):
        await client.get("/healthz")
    assert _access(caplog) == []
