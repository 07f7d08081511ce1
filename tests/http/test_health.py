"""``/healthz`` says the process is up; ``/readyz`` says the database is reachable and migrated."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from http_helpers import serve, state_for
from sqlalchemy import text

from unicrm.core.migrations.runner import expected_heads, upgrade
from unicrm.core.state import AppState
from unicrm.core.testing.databases import (
    drop_postgres_database,
    fresh_postgres_database,
    sqlite_url,
)

NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"


@pytest_asyncio.fixture(loop_scope="session")
async def empty_database(unicrm_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database of the backend under test with no tables at all."""
    if unicrm_backend == "sqlite":
        yield sqlite_url(tmp_path, "ready")
        return
    prefix = os.environ.get("UNICRM_TEST_DB_NAME", "unicrm_test")
    name = f"{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_ready"
    url = await fresh_postgres_database(name)
    yield url
    await drop_postgres_database(name)


@pytest_asyncio.fixture(loop_scope="session")
async def empty_state(
    empty_database: str, unicrm_plugins: dict[str, object]
) -> AsyncIterator[AppState]:
    state = state_for(unicrm_plugins, database_url=empty_database)
    yield state
    await state.db.dispose()


async def test_healthz_is_ok(client):
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_healthz_is_ok_even_without_a_database(unicrm_plugins):
    async with serve(state_for(unicrm_plugins, database_url=NOWHERE)) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200


async def test_readyz_is_unavailable_when_the_database_is_unreachable(unicrm_plugins):
    async with serve(state_for(unicrm_plugins, database_url=NOWHERE)) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unreachable"}


async def test_readyz_is_ok_once_every_branch_is_upgraded(empty_state):
    await upgrade(empty_state.db, empty_state.registry)
    async with serve(empty_state) as http:
        response = await http.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_on_an_empty_database_depends_on_whether_revisions_exist(empty_state):
    revisions = expected_heads(empty_state.registry, empty_state.db.url)
    async with serve(empty_state) as http:
        response = await http.get("/readyz")
    if revisions:
        assert response.status_code == 503
        assert response.json()["reason"] == "database not migrated"
    else:
        assert response.status_code == 200


async def test_readyz_is_unavailable_when_the_database_is_at_another_revision(empty_state):
    async with empty_state.db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        await conn.execute(text("INSERT INTO alembic_version VALUES ('0123456789ab')"))
    async with serve(empty_state) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database not migrated"}
