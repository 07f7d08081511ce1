"""Rate limiting per actor: a token bucket per (department, actor).

A bucket holds up to ``burst`` tokens and refills at ``requests_per_second``; a request takes
one token, and a request that finds the bucket empty is refused with how long to wait. With
``redis_url`` configured every worker shares the buckets through one atomic Lua script (the
clock is Redis's, so workers' clocks never disagree); otherwise each process keeps its own.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from unicrm.core.config import Limits, Settings

log = logging.getLogger("unicrm.ratelimit")

REDIS_PREFIX = "unicrm:ratelimit:"
LOCAL_MAX_BUCKETS = 100_000


def rate_limit_key(connection: HTTPConnection) -> str:
    """Whose bucket a request draws from: its credential's SHA-256, else the client address.

    The credential is hashed so that no token is kept in memory or Redis.
    """
    credential = connection.headers.get("authorization")
    if credential:
        return "cred:" + hashlib.sha256(credential.encode()).hexdigest()
    host = connection.client.host if connection.client else "unknown"
    return f"addr:{host}"


class Buckets(Protocol):
    async def take(self, key: str, rate: float, burst: int) -> float:
        """Take one token from ``key``'s bucket: 0 when taken, else seconds until one is due."""

    async def close(self) -> None: ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class LocalBuckets:
    """Buckets in this process; the least recently used go when there are too many."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_buckets: int = LOCAL_MAX_BUCKETS
    ) -> None:
        self._clock = clock
        self._max = max_buckets
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def take(self, key: str, rate: float, burst: int) -> float:
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(tokens=burst, updated=now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate

    async def close(self) -> None:
        self._buckets.clear()


# KEYS[1] the bucket; ARGV rate (tokens per second), burst. Returns {taken, wait in ms}.
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(saved[1]) or burst
local updated = tonumber(saved[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate / 1000)
local taken, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {taken, wait}
"""


class RedisBuckets:
    """Buckets every worker shares through Redis; when Redis fails, requests pass (logged)."""

    def __init__(self, url: str, prefix: str = REDIS_PREFIX) -> None:
        # Imported here: the redis client loads OpenTelemetry's SDK, which a process without
        # Redis (or without telemetry) never needs.
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        self._redis: Any = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script = self._redis.register_script(TOKEN_BUCKET_LUA)
        self._errors = RedisError
        self._prefix = prefix

    async def take(self, key: str, rate: float, burst: int) -> float:
        try:
            taken, wait_ms = await self._script(keys=[self._prefix + key], args=[rate, burst])
        except (self._errors, OSError) as exc:
            log.warning("rate limit not applied: Redis unavailable (%s)", type(exc).__name__)
            return 0.0
        return 0.0 if taken else int(wait_ms) / 1000

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    """Decides whether an actor may make one more request under a department's limits."""

    def __init__(self, buckets: Buckets) -> None:
        self.buckets = buckets

    async def retry_after(self, key: str, limits: Limits) -> int | None:
        """None when the request may go ahead, else whole seconds to wait (``Retry-After``)."""
        if not limits.requests_per_second:
            return None
        wait = await self.buckets.take(key, limits.requests_per_second, limits.rate_burst)
        return max(1, math.ceil(wait)) if wait > 0 else None

    async def close(self) -> None:
        await self.buckets.close()


def rate_limiter_for(settings: Settings) -> RateLimiter:
    """Shared buckets in Redis when ``redis_url`` is set, else buckets in this process."""
    buckets = RedisBuckets(settings.redis_url) if settings.redis_url else LocalBuckets()
    return RateLimiter(buckets)
