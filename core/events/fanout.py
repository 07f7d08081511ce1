"""The live feed of dispatched events to the subscribers of every process.

After the dispatcher has fanned an outbox event out into its deliveries (``EventBus.fan_out``,
once per event whichever process does it), the event is published here. With ``redis_url``
set it goes to a Redis pub/sub channel that every process listens to, so a subscriber
connected to any process receives it; without Redis (embedded mode) it goes straight to this
process's subscribers.

Delivery is best effort, at most once: a live feed, not a log. An event published while a
process is not listening (restarting, Redis unreachable), or to a subscription whose buffer
of ``subscriptions.queue_size`` events is full, is lost for that subscriber. When Redis
cannot be reached, a publishing process still feeds its own subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import orjson

from unicrm.core.events.outbox import Event

log = logging.getLogger("unicrm.events.fanout")

RECONNECT_SECONDS = 1.0
READY_TIMEOUT_SECONDS = 5.0


def encode(event: Event) -> bytes:
    return orjson.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "customer_id": str(event.customer_id) if event.customer_id else None,
            "payload": event.payload,
            "actor": event.actor,
            "created_at": event.created_at.isoformat() if event.created_at else None,
        }
    )


def decode(raw: bytes | str) -> Event:
    data = orjson.loads(raw)
    customer = data.get("customer_id")
    created = data.get("created_at")
    return Event(
        id=uuid.UUID(data["id"]),
        type=data["type"],
        customer_id=uuid.UUID(customer) if customer else None,
        payload=data.get("payload") or {},
        actor=data.get("actor"),
        created_at=datetime.fromisoformat(created) if created else None,
    )


class Feed:
    """One subscription's buffer of events, iterated by its subscriber."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
        self.lost = 0

    def offer(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lost += 1

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> Event:
        return await self._queue.get()


class Fanout:
    """This process's publisher and subscriber registry (see the module docstring)."""

    def __init__(self, redis_url: str = "", channel: str = "unicrm:events", queue_size: int = 256):
        self.redis_url = redis_url
        self.channel = channel
        self.queue_size = queue_size
        self._feeds: set[Feed] = set()
        self._redis: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    @property
    def subscribers(self) -> int:
        """How many subscriptions this process is feeding."""
        return len(self._feeds)

    def _deliver(self, event: Event) -> None:
        for feed in tuple(self._feeds):
            feed.offer(event)

    async def publish(self, events: Sequence[Event]) -> None:
        """Send ``events`` to every process's subscribers; never raises."""
        if not events:
            return
        if not self.redis_url:
            for event in events:
                self._deliver(event)
            return
        try:
            client = self._client()
            async with client.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(self.channel, encode(event))
                await pipe.execute()
        except Exception:  # Redis unreachable: at least this process's subscribers get them
            log.warning("cannot publish %d events to Redis; delivered locally", len(events))
            for event in events:
                self._deliver(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Feed]:
        """A feed of the events published from now on, until the block exits."""
        if self.redis_url:
            await self._listen()
        feed = Feed(self.queue_size)
        self._feeds.add(feed)
        try:
            yield feed
        finally:
            self._feeds.discard(feed)
            if feed.lost:
                log.warning("a slow subscription lost %d events", feed.lost)

    def _client(self) -> Any:
        if self._redis is None:
            # Imported here: the redis client loads OpenTelemetry's SDK (see core/ratelimit.py).
            from redis.asyncio import Redis

            self._redis = Redis.from_url(self.redis_url, socket_connect_timeout=1.0)
        return self._redis

    async def _listen(self) -> None:
        """Start this process's Redis listener once; wait (briefly) until it is subscribed."""
        if self._listener is None or self._listener.done():
            self._listening.clear()
            self._listener = asyncio.create_task(self._run_listener())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(READY_TIMEOUT_SECONDS):
                await self._listening.wait()

    async def _run_listener(self) -> None:
        while True:
            try:
                pubsub = self._client().pubsub(ignore_subscribe_messages=True)
                try:
                    await pubsub.subscribe(self.channel)
                    self._listening.set()
                    async for message in pubsub.listen():
                        self._receive(message)
                finally:
                    self._listening.clear()
                    await pubsub.aclose()
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis went away: events meanwhile are lost, by design
                log.warning("Redis event listener disconnected; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_SECONDS)

    def _receive(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        try:
            event = decode(message["data"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed message on %s", self.channel)
            return
        self._deliver(event)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
