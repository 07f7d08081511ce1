"""``unicrm serve``: the first start prepares the database once, then uvicorn serves GraphQL."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from unicrm.core.cli.runtime import NotMigrated
from unicrm.core.cli.serve import graphql_url, prepare
from unicrm.core.config import load_settings
from unicrm.core.demo import DEMO_PASSWORD, DEMO_STAFF
from unicrm.core.graph.customers.models import Customer
from unicrm.core.migrations import runner
from unicrm.core.state import AppState, create_state
from unicrm.core.testing.databases import sqlite_url

STARTUP_SECONDS = 90


async def customers(state: AppState) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(Customer))


async def test_first_start_prepares_the_database_once(unicrm_backend, database_url):
    state = create_state(load_settings())
    try:
        if unicrm_backend == "postgres":
            with pytest.raises(NotMigrated):  # only embedded SQLite is migrated implicitly
                await prepare(state, demo=True, size=8, seed=3)
            await runner.upgrade(state.db, state.registry)
        first = await prepare(state, demo=True, size=8, seed=3)
        assert first.migrated is (unicrm_backend == "sqlite")
        assert first.department_created
        assert first.department.slug == "default"
        assert first.department.plugins == {"ma", "sfa", "crm", "loyalty"}
        assert first.demo is not None and first.demo.customers == 8
        again = await prepare(state, demo=True, size=8, seed=3)
        assert (again.migrated, again.department_created, again.demo) == (False, False, None)
        assert await customers(state) == 8
    finally:
        await state.db.dispose()


async def test_first_start_without_demo_loads_no_customers(tmp_path):
    state = create_state(load_settings(database_url=sqlite_url(tmp_path, "plain")))
    try:
        ready = await prepare(state, demo=False, size=8, seed=None)
        assert ready.migrated and ready.demo is None
        assert await customers(state) == 0
    finally:
        await state.db.dispose()


def test_graphql_url_shows_a_reachable_address():
    assert graphql_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/graphql"
    assert graphql_url("::", 8080) == "http://[::1]:8080/graphql"
    assert graphql_url("crm.local", 80) == "http://crm.local:80/graphql"


ADMIN = DEMO_STAFF[0][0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"unicrm serve exited early:\n{process.communicate()[0]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.3)
    pytest.fail("unicrm serve did not become ready")


@pytest.mark.slow
def test_serve_demo_answers_graphql_on_the_printed_url(tmp_path: Path):
    port = _free_port()
    env = {"UNICRM_DATABASE_URL": sqlite_url(tmp_path, "served"), "COLUMNS": "200"}
    command = [sys.executable, "-c", "from unicrm.core.cli.main import main; main()"]
    args = ["serve", "--port", str(port), "--demo", "--demo-size", "6", "--seed", "1"]
    process = subprocess.Popen(
        [*command, *args],
        cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("UNICRM_")}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base)
        query = "{ customers(first: 2) { totalCount edges { node { displayName leadScore { value } } } } }"
        anonymous = httpx.post(f"{base}/graphql", json={"query": query}, timeout=10).json()
        credentials = {"grant_type": "password", "username": ADMIN, "password": DEMO_PASSWORD}
        token = httpx.post(f"{base}/auth/token", data=credentials, timeout=10).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        body = httpx.post(f"{base}/graphql", json={"query": query}, headers=bearer, timeout=10)
        body = body.json()
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "errors" not in body, body
    assert body["data"]["customers"]["totalCount"] == 6
    assert f"sign in as {ADMIN}" in output
    assert f"UniCRM GraphQL: {base}/graphql" in output
    assert "created department default (plugins: crm, loyalty, ma, sfa)" in output
