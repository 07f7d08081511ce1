"""pytest fixtures of the UniCRM test kit.

Every test that uses ``unicrm_state`` (directly or through ``client``/``gql``) runs once on
SQLite and once on PostgreSQL. Tables are emptied between tests. Override ``unicrm_plugins``
in a conftest to choose the plugins under test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import import_module
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from unicrm.core.audit import ddl as audit_ddl
from unicrm.core.authz.defaults import sync_default_roles
from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.sessions import start_session
from unicrm.core.authz.store import load_policies, to_row
from unicrm.core.config import BUILTIN_PLUGINS, load_settings
from unicrm.core.db.base import Base
from unicrm.core.db.database import Database
from unicrm.core.graph.departments.services import ensure_default
from unicrm.core.graph.users.models import User
from unicrm.core.state import AppState, create_state
from unicrm.core.testing.databases import (
    drop_postgres_database,
    fresh_postgres_database,
    postgres_required,
    sqlite_url,
)

BACKENDS = ("sqlite", "postgres")

Gql = Callable[..., Awaitable[dict[str, Any]]]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--unicrm-backends",
        default=os.environ.get("UNICRM_TEST_BACKENDS", ",".join(BACKENDS)),
        help="comma-separated database backends to run database tests on",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "unicrm_backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--unicrm-backends").split(",")
        backends = [b for b in BACKENDS if b in chosen]
        metafunc.parametrize("unicrm_backend", backends, scope="session")


@pytest.fixture(scope="session")
def unicrm_plugins() -> dict[str, object]:
    """The plugins the test state registers: by default the four built-in ones."""
    return {name: import_module(f"unicrm.plugins.{name}.plugin") for name in BUILTIN_PLUGINS}


def _worker(request: pytest.FixtureRequest) -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


async def prepare_schema(db: Database, state: AppState) -> None:
    """Migrate the test database to every head of core and the registered plugins."""
    from unicrm.core.migrations.runner import upgrade

    await upgrade(db, state.registry)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def unicrm_database(
    unicrm_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    prefix = os.environ.get("UNICRM_TEST_DB_NAME", "unicrm_test")
    name = f"{prefix}_{_worker(request)}"
    if unicrm_backend == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("db"), name)
        return
    try:
        url = await fresh_postgres_database(name)
    except (OSError, Exception) as exc:  # asyncpg raises OSError subclasses when unreachable
        if postgres_required():
            pytest.fail(f"PostgreSQL is required here and unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield url
    await drop_postgres_database(name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def unicrm_session_state(
    unicrm_database: str, unicrm_plugins: dict[str, object]
) -> AsyncIterator[AppState]:
    from unicrm.schema.composer import build_schema

    settings = load_settings(
        database_url=unicrm_database,
        plugins=list(unicrm_plugins),
        environment="test",
        auth=TEST_AUTH,
        department_cache_seconds=60,
    )
    state = create_state(settings, plugins=unicrm_plugins, schema_factory=build_schema)
    await prepare_schema(state.db, state)
    yield state
    await state.db.dispose()


async def empty_tables(db: Database) -> None:
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in tables:
                if table.name == audit_ddl.TABLE:  # append-only: its one documented reset
                    await conn.run_sync(audit_ddl.purge_all)
                else:
                    await conn.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest_asyncio.fixture(loop_scope="session")
async def unicrm_state(unicrm_session_state: AppState) -> AsyncIterator[AppState]:
    """The process state on a freshly emptied database with its default department, the
    default roles synchronised and the policies loaded into ``state.authz``."""
    state = unicrm_session_state
    await empty_tables(state.db)
    async with state.db.transaction() as session:
        await ensure_default(session, state.registry, state.settings.default_department)
        await sync_default_roles(session, state.registry)
    state.departments.invalidate()
    await load_policies(state)
    yield state


async def clear_audit_log(state: AppState) -> None:
    """Empty the audit log, so a test sees only the entries its own actions write (the test
    kit's setup signs in and synchronises roles, which are audited too)."""
    async with state.db.engine.begin() as conn:
        await conn.run_sync(audit_ddl.purge_all)


TEST_AUTH = {
    "session_cache_seconds": 60,
    "signing_keys": {"test": "unicrm-test-signing-key-never-used-outside-tests"},
    "active_kid": "test",
}
"""Auth settings of the test kit's state. Sessions stay cached for a minute, so the statement
counts of a test's requests do not depend on how long it took; an explicit signing key lets
an app built with production settings accept the test kit's tokens. (The test kit's state
trusts its copy of the departments for a minute too; tests that change departments
invalidate it.)"""


async def sign_in_as(state: AppState, email: str, role: str, department: str = "*") -> str:
    """An access token of a new user (no password) holding ``role`` in ``department``
    (``*``: every department), with the policies reloaded: how tests act as a role."""
    async with state.db.transaction() as session:
        user = User(email=email, display_name=email.split("@")[0])
        session.add(user)
        await session.flush()
        session.add(to_row(Rule.link(f"user:{user.id}", role, department)))
        tokens = await start_session(
            session, user, client_address=None, user_agent="unicrm tests", settings=state.settings
        )
    await load_policies(state)
    return tokens.access_token


def client_for(state: AppState, token: str | None = None) -> httpx.AsyncClient:
    """An HTTP client of ``state``'s app, sending ``token`` as its bearer credential."""
    from unicrm.core.app import create_app

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.ASGITransport(app=create_app(state=state))
    return httpx.AsyncClient(transport=transport, base_url="http://unicrm.test", headers=headers)


@pytest_asyncio.fixture(loop_scope="session")
async def client(unicrm_state: AppState) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client signed in as an organization-wide admin (``admin@unicrm.test``)."""
    token = await sign_in_as(unicrm_state, "admin@unicrm.test", "admin")
    async with client_for(unicrm_state, token) as http:
        await http.post("/graphql", json={"query": "{ viewer { kind } }"})  # caches the session
        yield http


@pytest_asyncio.fixture(loop_scope="session")
async def anonymous_client(unicrm_state: AppState) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that sends no credentials."""
    async with client_for(unicrm_state) as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Gql:
    """``await gql(query, variables=None, department=None)`` → the JSON response body."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        department: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        path = f"/graphql/{department}" if department else "/graphql"
        response = await client.post(
            path, json={"query": query, "variables": variables or {}}, headers=headers or {}
        )
        assert response.status_code == 200, response.text
        return response.json()

    return run
