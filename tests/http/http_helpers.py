"""Plain helpers the HTTP tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from unicrm.core.app import create_app
from unicrm.core.config import load_settings
from unicrm.core.graph.customers.models import Customer
from unicrm.core.state import AppState, create_state
from unicrm.core.testing.pytest_plugin import TEST_AUTH
from unicrm.schema.composer import build_schema

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id displayName } errors { code } }
}
"""


@contextlib.asynccontextmanager
async def serve(state: AppState, token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to the app of ``state`` over ASGI, sending ``token`` as its
    bearer credential when given; closes its database after."""
    transport = httpx.ASGITransport(app=create_app(state=state))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = "http://unicrm.test"
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base, headers=headers) as http:
            yield http
    finally:
        await state.db.dispose()


def state_for(plugins: dict[str, object], **overrides: Any) -> AppState:
    """A state of ``plugins`` that accepts the test kit's tokens (its signing key)."""
    overrides.setdefault("auth", TEST_AUTH)
    settings = load_settings(plugins=list(plugins), **overrides)
    return create_state(settings, plugins=plugins, schema_factory=build_schema)


async def create_customer(gql: Callable[..., Any], name: str) -> str:
    body = await gql(CREATE, {"input": {"kind": "PERSON", "firstName": name}})
    payload = body["data"]["customerCreate"]
    assert payload["errors"] == []
    return payload["customer"]["id"]


async def count_customers(state: AppState) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Customer)) or 0)
