"""The HTTP layer: a server span per request, its latency metric and one access log line.

A pure ASGI middleware (no response buffering). An incoming ``traceparent`` header makes the
request span a child of the caller's span. The GraphQL layer fills in the request's
:class:`RequestInfo` (operation, department, actor kind) for the span, metrics and log line.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unicrm.core.telemetry import metrics, tracing

access_log = logging.getLogger("unicrm.access")

# Probes poll these every few seconds; their lines are DEBUG so they do not drown the rest.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


@dataclass(slots=True)
class RequestInfo:
    """What the application learned about a request while serving it."""

    operation_name: str | None = None
    operation_type: str | None = None
    department: str | None = None
    actor_kind: str | None = None


_current: ContextVar[RequestInfo | None] = ContextVar("unicrm_request_info", default=None)


def current_request() -> RequestInfo | None:
    """The info of the HTTP request being served, or None outside one."""
    return _current.get()


def _headers(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}


def _route(scope: Scope) -> str | None:
    route = scope.get("route")
    return getattr(route, "path", None)


class TelemetryMiddleware:
    """Wraps every HTTP request in a span, a latency measurement and an access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo()
        token = _current.set(info)
        status = 500
        started = perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            active = tracing.tracer()
            if active is None:
                await self.app(scope, receive, send_status)
            else:
                with active.start_as_current_span(
                    scope["method"],
                    record_exception=False,
                    set_status_on_exception=False,
                    context=propagate.extract(_headers(scope)),
                    kind=SpanKind.SERVER,
                    attributes={
                        "http.request.method": scope["method"],
                        "url.path": scope["path"],
                        "url.scheme": scope.get("scheme", "http"),
                    },
                ) as current:
                    try:
                        await self.app(scope, receive, send_status)
                    except BaseException as exc:
                        tracing.mark_failed(current, exc)
                        raise
                    finally:
                        _describe(current, scope, status, info)
        finally:
            _current.reset(token)
            _finish(scope, status, perf_counter() - started, info)


def _describe(current: Span, scope: Scope, status: int, info: RequestInfo) -> None:
    route = _route(scope)
    current.update_name(f"{scope['method']} {route}" if route else scope["method"])
    current.set_attribute("http.response.status_code", status)
    if route:
        current.set_attribute("http.route", route)
    if info.operation_name:
        current.set_attribute("graphql.operation.name", info.operation_name)
    if status >= 500:
        current.set_status(Status(StatusCode.ERROR))


def _finish(scope: Scope, status: int, seconds: float, info: RequestInfo) -> None:
    instruments = metrics.instruments()
    if instruments is not None:
        attributes: dict[str, Any] = {
            "http.request.method": scope["method"],
            "http.response.status_code": status,
        }
        route = _route(scope)
        if route:
            attributes["http.route"] = route
        instruments.http_duration.record(seconds, attributes)
    level = logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO
    if access_log.isEnabledFor(level):
        access_log.log(
            level,
            "%s %s %s %.1fms",
            scope["method"],
            scope["path"],
            status,
            seconds * 1000,
            extra={
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "operation": info.operation_name,
                "operation_type": info.operation_type,
                "department": info.department,
                "actor_kind": info.actor_kind,
            },
        )
