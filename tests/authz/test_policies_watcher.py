"""A policy change in one process reaches every other process within a second."""

from __future__ import annotations

import asyncio
import time

import pytest

from unicrm.core.authz.admin import Editor, GrantSpec, PolicyAdmin, grant
from unicrm.core.authz.lifecycle import start_policies, stop_policies
from unicrm.core.authz.watcher import LocalWatcher, PostgresWatcher, RedisWatcher
from unicrm.core.config import load_settings
from unicrm.core.state import create_state
from unicrm.schema.composer import build_schema

REDIS_URL = "redis://127.0.0.1:6379/0"
WATCHERS = {"local": LocalWatcher, "postgres": PostgresWatcher, "redis": RedisWatcher}


def _process(unicrm_state, unicrm_plugins, redis_url: str):
    settings = load_settings(
        database_url=unicrm_state.db.url,
        plugins=list(unicrm_plugins),
        environment="test",
        redis_url=redis_url,
    )
    return create_state(settings, plugins=unicrm_plugins, schema_factory=build_schema)


async def _eventually(check, within: float = 1.0) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, "the change did not arrive in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


@pytest.mark.parametrize("kind", sorted(WATCHERS))
async def test_a_change_reaches_the_other_process_within_a_second(
    unicrm_state, unicrm_plugins, unicrm_backend, kind
):
    if (kind, unicrm_backend) in {("postgres", "sqlite"), ("local", "postgres")}:
        pytest.skip(f"{kind} watching is not used on {unicrm_backend}")
    redis_url = REDIS_URL if kind == "redis" else ""
    writer = _process(unicrm_state, unicrm_plugins, redis_url)
    reader = _process(unicrm_state, unicrm_plugins, redis_url)
    await start_policies(writer)
    await start_policies(reader)
    try:
        assert isinstance(reader.policy_watcher, WATCHERS[kind])
        assert not reader.authz.allowed("marketer", "sales", "sfa.deal", "delete")
        admin = PolicyAdmin(writer, Editor("system"))

        await admin.apply(grant(admin, GrantSpec("marketer", "*", "sfa.deal", "delete")))

        await _eventually(lambda: reader.authz.allowed("marketer", "sales", "sfa.deal", "delete"))
        assert writer.authz.allowed("marketer", "sales", "sfa.deal", "delete")
    finally:
        for state in (writer, reader):
            await stop_policies(state)
            await state.db.dispose()
