"""Rate limiting per actor: token buckets in this process, or shared through the real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import redis
from http_helpers import CREATE, count_customers, serve, state_for
from plugins.support import add_department
from redis.asyncio import Redis
from starlette.requests import Request

from unicrm.core.authz.store import load_policies
from unicrm.core.config import Limits, load_settings
from unicrm.core.errors import ConfigError
from unicrm.core.ratelimit import (
    LocalBuckets,
    RateLimiter,
    RedisBuckets,
    rate_limit_key,
)
from unicrm.core.state import AppState
from unicrm.core.testing.pytest_plugin import sign_in_as

REDIS_URL = "redis://127.0.0.1:6379/0"
COUNT = {"query": "{ customers { totalCount } }"}
PERSON = {"input": {"kind": "PERSON", "firstName": "Ek"}}
# A slow refill: a refused request stays refused for the rest of the test.
SLOW = {"requests_per_second": 0.01, "burst": 2}


@pytest.fixture(scope="session")
def redis_reachable() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable on {REDIS_URL}: {exc}")
    finally:
        client.close()


@pytest.fixture(params=["local", "redis"])
def buckets_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        request.getfixturevalue("redis_reachable")
    return request.param


@pytest.fixture
def redis_prefix() -> str:
    """Buckets of this test only: workers and runs share the Redis server."""
    return f"unicrm:test:ratelimit:{uuid.uuid4().hex}:"


@pytest.fixture
def limited(unicrm_state, unicrm_plugins, buckets_kind, redis_prefix):
    """``async with limited(limits=..., department_limits=...) as http``: the test database
    served with rate limits, the buckets in process or in Redis."""

    @contextlib.asynccontextmanager
    async def open_client(**overrides) -> AsyncIterator[httpx.AsyncClient]:
        token = await signed_in(unicrm_state, "admin")
        state = limited_state(unicrm_state, unicrm_plugins, buckets_kind, redis_prefix, overrides)
        await load_policies(state)
        try:
            async with serve(state, token=token) as http:
                yield http
        finally:
            await state.rate_limiter.close()

    return open_client


def limited_state(
    unicrm_state: AppState, plugins: dict, kind: str, prefix: str, overrides: dict
) -> AppState:
    state = state_for(plugins, database_url=unicrm_state.settings.database_url, **overrides)
    if kind == "redis":  # the buckets redis_url gives, under a prefix of this test's own
        state.rate_limiter = RateLimiter(RedisBuckets(REDIS_URL, prefix=prefix))
    return state


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert body["errors"][0]["message"].startswith("too many requests")


async def test_requests_over_the_burst_are_429_with_retry_after(limited):
    async with limited(limits=SLOW) as http:
        first = await http.post("/graphql", json=COUNT)
        second = await http.get("/graphql", params=COUNT)
        third = await http.post("/graphql", json=COUNT)
    assert first.json() == second.json() == {"data": {"customers": {"totalCount": 0}}}
    assert_rate_limited(third)
    assert third.headers["content-type"] == "application/json; charset=utf-8"
    assert int(third.headers["retry-after"]) <= 100


async def test_a_rate_limited_mutation_writes_nothing(limited, unicrm_state):
    async with limited(limits={"requests_per_second": 0.01, "burst": 1}) as http:
        await http.post("/graphql", json=COUNT)
        refused = await http.post("/graphql", json={"query": CREATE, "variables": PERSON})
    assert_rate_limited(refused)
    assert await count_customers(unicrm_state) == 0


async def signed_in(state: AppState, name: str) -> str:
    return await sign_in_as(state, f"{name}-{uuid.uuid4().hex}@unicrm.test", "analyst")


async def test_every_credential_has_its_own_bucket(limited, unicrm_state):
    alice = {"authorization": f"Bearer {await signed_in(unicrm_state, 'alice')}"}
    bob = {"authorization": f"Bearer {await signed_in(unicrm_state, 'bob')}"}
    async with limited(limits={"requests_per_second": 0.01, "burst": 1}) as http:
        assert (await http.post("/graphql", json=COUNT, headers=alice)).status_code == 200
        assert_rate_limited(await http.post("/graphql", json=COUNT, headers=alice))
        assert (await http.post("/graphql", json=COUNT, headers=bob)).status_code == 200
        assert (await http.post("/graphql", json=COUNT)).status_code == 200  # by address


async def test_department_limits_override_the_rate_and_have_own_buckets(limited, unicrm_state):
    await add_department(unicrm_state, "sales", ["sfa"])
    overrides = {
        "limits": {"requests_per_second": 0.01, "burst": 1},
        "department_limits": {"sales": {"burst": 3}, "support": {"requests_per_second": 0}},
    }
    await add_department(unicrm_state, "support", [])
    async with limited(**overrides) as http:
        default = [(await http.post("/graphql", json=COUNT)).status_code for _ in range(2)]
        sales = [(await http.post("/graphql/sales", json=COUNT)).status_code for _ in range(4)]
        support = [(await http.post("/graphql/support", json=COUNT)).status_code for _ in range(5)]
    assert default == [200, 429]
    assert sales == [200, 200, 200, 429]
    assert support == [200] * 5  # 0 requests per second: not limited


async def test_the_bucket_refills(limited, unicrm_state):
    # a request of another actor builds the schema first
    warm_up = {"authorization": f"Bearer {await signed_in(unicrm_state, 'warm-up')}"}
    async with limited(limits={"requests_per_second": 1, "burst": 1}) as http:
        assert (await http.post("/graphql", json=COUNT, headers=warm_up)).status_code == 200
        assert (await http.post("/graphql", json=COUNT)).status_code == 200
        refused = await http.post("/graphql", json=COUNT)
        assert_rate_limited(refused)
        assert refused.headers["retry-after"] == "1"
        await asyncio.sleep(1.1)
        assert (await http.post("/graphql", json=COUNT)).status_code == 200


async def test_no_rate_limit_by_default(limited):
    async with limited() as http:
        statuses = {(await http.post("/graphql", json=COUNT)).status_code for _ in range(30)}
    assert statuses == {200}


async def test_redis_shares_buckets_between_workers(
    unicrm_state, unicrm_plugins, redis_reachable, redis_prefix
):
    """Two processes behind a load balancer, each with its own state, draw from one bucket."""
    overrides = {"limits": {"requests_per_second": 0.01, "burst": 2}}
    first = limited_state(unicrm_state, unicrm_plugins, "redis", redis_prefix, overrides)
    second = limited_state(unicrm_state, unicrm_plugins, "redis", redis_prefix, overrides)
    try:
        async with serve(first) as one, serve(second) as two:
            assert (await one.post("/graphql", json=COUNT)).status_code == 200
            assert (await two.post("/graphql", json=COUNT)).status_code == 200
            assert_rate_limited(await one.post("/graphql", json=COUNT))
            assert_rate_limited(await two.post("/graphql", json=COUNT))
    finally:
        await first.rate_limiter.close()
        await second.rate_limiter.close()


async def test_redis_keys_hold_no_credential_and_expire(redis_reachable, redis_prefix):
    credential = "Bearer secret-token"
    buckets = RedisBuckets(REDIS_URL, prefix=redis_prefix)
    client = Redis.from_url(REDIS_URL)
    try:
        key = rate_limit_key(request_with({"authorization": credential}))
        assert await buckets.take(f"default:{key}", rate=1, burst=5) == 0
        keys = [k.decode() async for k in client.scan_iter(match=f"{redis_prefix}*")]
        assert keys == [f"{redis_prefix}default:{key}"]
        assert "secret-token" not in keys[0]
        assert 0 < await client.pttl(keys[0]) <= 6000
    finally:
        await buckets.close()
        await client.aclose()


async def test_requests_pass_when_redis_is_unreachable(unicrm_state, unicrm_plugins, caplog):
    overrides = {"limits": {"requests_per_second": 0.01, "burst": 1}}
    state = state_for(
        unicrm_plugins,
        database_url=unicrm_state.settings.database_url,
        redis_url="redis://127.0.0.1:1/0",
        **overrides,
    )
    assert isinstance(state.rate_limiter.buckets, RedisBuckets)
    try:
        async with serve(state) as http:
            statuses = [(await http.post("/graphql", json=COUNT)).status_code for _ in range(3)]
    finally:
        await state.rate_limiter.close()
    assert statuses == [200, 200, 200]
    assert "rate limit not applied: Redis unavailable" in caplog.text


def request_with(headers: dict[str, str], client: tuple[str, int] = ("192.0.2.7", 5000)) -> Request:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "client": client})


def test_the_key_is_the_credential_hash_else_the_client_address():
    credential = "Bearer abc"
    digest = hashlib.sha256(credential.encode()).hexdigest()
    assert rate_limit_key(request_with({"authorization": credential})) == f"cred:{digest}"
    assert rate_limit_key(request_with({})) == "addr:192.0.2.7"


async def test_local_buckets_refill_at_the_configured_rate():
    now = [100.0]
    buckets = LocalBuckets(clock=lambda: now[0])
    assert [await buckets.take("k", rate=2, burst=2) for _ in range(2)] == [0, 0]
    assert await buckets.take("k", rate=2, burst=2) == pytest.approx(0.5)
    now[0] += 0.5
    assert await buckets.take("k", rate=2, burst=2) == 0
    now[0] += 60
    assert [await buckets.take("k", rate=2, burst=2) for _ in range(3)][-1] > 0  # capped


async def test_local_buckets_forget_the_least_recently_used():
    buckets = LocalBuckets(clock=lambda: 0.0, max_buckets=2)
    for key in ("a", "b", "c"):
        await buckets.take(key, rate=1, burst=1)
    assert await buckets.take("a", rate=1, burst=1) == 0  # "a" was forgotten: a full bucket
    assert await buckets.take("c", rate=1, burst=1) > 0


async def test_retry_after_is_whole_seconds_and_none_when_unlimited():
    limiter = RateLimiter(LocalBuckets(clock=lambda: 0.0))
    slow = Limits(requests_per_second=0.25, burst=1)
    assert await limiter.retry_after("k", slow) is None
    assert await limiter.retry_after("k", slow) == 4
    assert await limiter.retry_after("k", Limits()) is None


def test_burst_defaults_to_one_seconds_worth():
    assert Limits(requests_per_second=2.5).rate_burst == 3
    assert Limits(requests_per_second=0.1).rate_burst == 1
    assert Limits(requests_per_second=2.5, burst=10).rate_burst == 10


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("UNICRM_REDIS_URL", "http://x", "bad setting redis_url (UNICRM_REDIS_URL): expected"),
        (
            "UNICRM_LIMITS__REQUESTS_PER_SECOND",
            "-1",
            "bad setting limits.requests_per_second (UNICRM_LIMITS__REQUESTS_PER_SECOND): ",
        ),
        (
            "UNICRM_DEPARTMENT_LIMITS__SALES__BURST",
            "0",
            "bad setting department_limits.sales.burst (UNICRM_DEPARTMENT_LIMITS__SALES__BURST): ",
        ),
    ],
    ids=["redis-url", "rate", "burst"],
)
def test_bad_rate_settings_are_one_config_error(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)


def test_config_show_hides_the_redis_password():
    settings = load_settings(redis_url="redis://:hunter2@cache.internal:6379/0")
    assert settings.public_dict()["redis_url"] == "redis://:***@cache.internal:6379/0"
