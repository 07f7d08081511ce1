"""Log lines as JSON (one object per line) or plain text, with the current trace and span ids.

``configure_logging`` gives the ``unicrm`` logger one handler on stderr; records keep
propagating, so an operator's own root handlers still see them. Fields passed through
``extra=`` appear in the JSON object (the access log uses this).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from opentelemetry import trace

ROOT_LOGGER = "unicrm"
# Attributes every LogRecord has; anything else came through ``extra=``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def trace_ids() -> tuple[str, str] | None:
    """The current trace id and span id in hex, or None outside a recording span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "trace_id", "span_id", ...extra}``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ids = trace_ids()
        if ids is not None:
            line["trace_id"], line["span_id"] = ids
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class PlainFormatter(logging.Formatter):
    """``time level logger message [trace=… span=…]``, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = trace_ids()
        return text if ids is None else f"{text} [trace={ids[0]} span={ids[1]}]"


class _UniCRMHandler(logging.StreamHandler):
    """The handler ``configure_logging`` installs; replaced, never stacked, on reconfiguring."""


def configure_logging(fmt: str = "plain", level: str = "INFO") -> logging.Handler:
    """Send the ``unicrm`` loggers' records at ``level`` and above to stderr as ``fmt``."""
    logger = logging.getLogger(ROOT_LOGGER)
    for old in [h for h in logger.handlers if isinstance(h, _UniCRMHandler)]:
        logger.removeHandler(old)
    handler = _UniCRMHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
