"""Fixtures of the HTTP tests: the test database served under other settings."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from http_helpers import serve, state_for

from unicrm.core.state import AppState

ClientFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_with(unicrm_state: AppState, unicrm_plugins: dict[str, object]) -> ClientFactory:
    """``async with client_with(environment="production") as http``: the test database
    served by an app whose settings differ from the test kit's."""

    def open_client(**overrides: Any) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
        url = unicrm_state.settings.database_url
        return serve(state_for(unicrm_plugins, database_url=url, **overrides))

    return open_client
