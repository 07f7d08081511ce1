"""The NATS JetStream sink: every dispatched domain event, published durably to a stream.

With ``events.nats.url`` set, the event bus gives each event one more delivery, to the target
``sink:nats``, retried and dead-lettered like a handler's (``unicrm.core.events.bus``). A
delivery publishes the event on ``<prefix>.<event type>`` with the webhook envelope as its
JSON body, the event id as ``Nats-Msg-Id`` (JetStream drops a re-publish inside the stream's
duplicate window, so a retried delivery is stored once) and the ``traceparent`` header, and
succeeds only when JetStream acknowledges it.

Every network wait is bounded by ``events.nats.timeout_seconds``: with the server down a
delivery fails within that time and is retried later, so the dispatcher never hangs. The
connection reconnects by itself once made; a connection that cannot be made is tried again
at the next delivery (after ``RECONNECT_WAIT_SECONDS``, so a backlog fails fast instead of
waiting out one timeout per delivery). The stream (subjects ``<prefix>.>``, the configured limits) is created
or updated on first connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from unicrm.core.config import NatsSettings
from unicrm.core.events.models import OutboxEvent
from unicrm.core.telemetry.tracing import with_traceparent
from unicrm.core.webhooks.sender import event_body

log = logging.getLogger("unicrm.events.nats")

TARGET = "sink:nats"
"""The ``handler`` of the sink's delivery rows, as the eventDeliveries admin API shows it."""

RECONNECT_WAIT_SECONDS = 2.0


class NatsUnavailable(Exception):
    """The server could not be reached in time; the delivery is retried later."""


def subject_of(settings: NatsSettings, event_type: str) -> str:
    return f"{settings.subject_prefix}.{event_type}"


def stream_config(settings: NatsSettings) -> StreamConfig:
    return StreamConfig(
        name=settings.stream,
        subjects=[f"{settings.subject_prefix}.>"],
        max_age=settings.max_age_seconds or None,
        max_bytes=settings.max_bytes,
        max_msgs=settings.max_msgs,
        duplicate_window=settings.duplicate_window_seconds,
    )


def headers_for(row: OutboxEvent) -> dict[str, str]:
    """``Nats-Msg-Id`` and the trace context: the delivery span's, else the event's own."""
    headers = with_traceparent({"Nats-Msg-Id": str(row.id)})
    if "traceparent" not in headers and row.traceparent:
        headers["traceparent"] = row.traceparent
    return headers


async def _log_error(exc: Exception) -> None:
    log.info("NATS connection: %s: %s", type(exc).__name__, exc)


class NatsSink:
    """One process's connection to JetStream, opened at the first publish."""

    name = TARGET

    def __init__(self, settings: NatsSettings) -> None:
        self.settings = settings
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._lock = asyncio.Lock()
        self._down_until = 0.0

    async def _jetstream(self) -> JetStreamContext:
        async with self._lock:
            client = self._client
            if self._js is not None and client is not None and not client.is_closed:
                if not client.is_connected:
                    # Reconnecting by itself: fail now rather than wait for an ack per delivery.
                    raise NatsUnavailable("the connection to NATS was lost; reconnecting")
                return self._js
            if time.monotonic() < self._down_until:
                raise NatsUnavailable("NATS was unreachable a moment ago; not tried again yet")
            timeout = self.settings.timeout_seconds
            try:
                client = await asyncio.wait_for(
                    nats.connect(
                        self.settings.url,
                        name="unicrm",
                        connect_timeout=max(int(timeout), 1),
                        reconnect_time_wait=RECONNECT_WAIT_SECONDS,
                        max_reconnect_attempts=-1,
                        allow_reconnect=True,
                        error_cb=_log_error,
                    ),
                    timeout,
                )
            except (TimeoutError, OSError, nats.errors.Error) as exc:
                self._down_until = time.monotonic() + RECONNECT_WAIT_SECONDS
                raise NatsUnavailable(
                    f"cannot connect to NATS: {type(exc).__name__}: {exc}"
                ) from exc
            js = client.jetstream(timeout=timeout)
            try:
                await ensure_stream(js, self.settings)
            except Exception:
                await client.close()
                raise
            self._client, self._js = client, js
            return js

    async def start(self) -> None:
        """Connect and create or update the stream now; an unreachable server is logged and
        tried again at the first delivery."""
        try:
            await self._jetstream()
        except Exception as exc:
            log.warning("NATS JetStream not ready at startup: %s", exc)

    async def publish(self, row: OutboxEvent) -> None:
        """Publish ``row`` and wait for JetStream's ack; raises when it is not stored."""
        js = await self._jetstream()
        ack = await js.publish(
            subject_of(self.settings, row.type),
            event_body(row),
            timeout=self.settings.timeout_seconds,
            stream=self.settings.stream,
            headers=headers_for(row),
        )
        if ack.duplicate:
            log.info("event %s was already in the stream", row.id)

    async def close(self) -> None:
        async with self._lock:
            client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), self.settings.timeout_seconds)


async def ensure_stream(js: JetStreamContext, settings: NatsSettings) -> None:
    """Create the stream, or bring an existing one's subjects and limits to the settings."""
    config = stream_config(settings)
    try:
        await js.stream_info(settings.stream)
    except NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)
