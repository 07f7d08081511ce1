"""Fixtures of the audit tests: reading the log back, and a server with the probe plugin."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from audit import probe_plugin
from unicrm.core.app import create_app
from unicrm.core.audit.models import AuditEntry
from unicrm.core.authz.store import load_policies
from unicrm.core.config import load_settings
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.departments.services import create_department
from unicrm.core.state import AppState, create_state
from unicrm.core.testing.pytest_plugin import TEST_AUTH, clear_audit_log, sign_in_as
from unicrm.schema.composer import build_schema


@pytest_asyncio.fixture(loop_scope="session")
async def unicrm_state(unicrm_state: AppState) -> AsyncIterator[AppState]:
    """The test kit's state with an empty audit log (its role synchronisation is audited)."""
    await clear_audit_log(unicrm_state)
    yield unicrm_state


@pytest_asyncio.fixture(loop_scope="session")
async def client(
    client: httpx.AsyncClient, unicrm_state: AppState
) -> AsyncIterator[httpx.AsyncClient]:
    """The test kit's admin client, its own sign-in cleared from the audit log."""
    await clear_audit_log(unicrm_state)
    yield client


async def audit_entries(state: AppState) -> list[AuditEntry]:
    """Every audit entry, oldest first."""
    async with state.db.session() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
        return list((await session.scalars(stmt)).all())


@contextlib.asynccontextmanager
async def probe_client(
    unicrm_state: AppState, plugins: dict[str, object], token: str, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client (bearing ``token``) of a server on the test database whose ``probe``
    department enables the probe plugin; ``settings`` override the test settings."""
    plugins = {**plugins, probe_plugin.NAME: probe_plugin}
    state = create_state(
        load_settings(
            database_url=unicrm_state.settings.database_url,
            plugins=list(plugins),
            environment="test",
            auth=TEST_AUTH,
            **settings,
        ),
        plugins=plugins,
        schema_factory=build_schema,
    )
    async with state.db.transaction() as session:
        if await session.scalar(select(Department.id).where(Department.slug == "probe")) is None:
            await create_department(
                session, state.registry, slug="probe", name="Probe", plugins=[probe_plugin.NAME]
            )
    await load_policies(state)
    transport = httpx.ASGITransport(app=create_app(state=state))
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://unicrm.test", headers=headers
        ) as http:
            yield http
    finally:
        await state.db.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def probe(
    unicrm_state: AppState, unicrm_plugins: dict[str, object]
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin's client of a server whose ``probe`` department enables the probe plugin."""
    token = await sign_in_as(unicrm_state, "probe-admin@unicrm.test", "admin")
    await clear_audit_log(unicrm_state)
    async with probe_client(unicrm_state, unicrm_plugins, token) as http:
        yield http


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/graphql/probe", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()
