from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from unicrm.core.app import create_app
from unicrm.core.state import AppState
from unicrm.core.testing.servers import serve


@pytest_asyncio.fixture(loop_scope="session")
async def server(unicrm_state: AppState) -> AsyncIterator[str]:
    """The ws:// base URL of the test state's app, served by uvicorn."""
    async with serve(create_app(state=unicrm_state), scheme="ws") as base:
        yield base
