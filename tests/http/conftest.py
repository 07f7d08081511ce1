"""Fixtures of the HTTP tests: the test database served under other settings."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from http_helpers import serve, state_for

from unicrm.core.authz.store import load_policies
from unicrm.core.state import AppState
from unicrm.core.testing.pytest_plugin import sign_in_as

ClientFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(unicrm_state: AppState, unicrm_plugins: dict[str, object]) -> ClientFactory:
    """``async with client_with(environment="production") as http``: the test database
    served by an app whose settings differ from the test kit's, signed in as an admin."""

    @contextlib.asynccontextmanager
    async def open_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        token = await sign_in_as(unicrm_state, f"admin-{uuid.uuid4().hex}@unicrm.test", "admin")
        if overrides.get("environment") == "production":  # production refuses default keys
            overrides.setdefault("secret_key", "a-production-secret-of-the-http-tests")

        state = state_for(
            unicrm_plugins, database_url=unicrm_state.settings.database_url, **overrides
        )
        await load_policies(state)
        async with serve(state, token=token) as http:
            yield http

    return open_client
