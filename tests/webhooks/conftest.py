"""A real HTTP receiver (uvicorn on a free port) and webhook settings for the tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from unicrm.core.config import WebhookSettings
from unicrm.core.testing.servers import serve


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request; ``status`` and ``delay`` choose how it answers."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    reply: str = "thanks"


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver(url="")

    async def hook(request: Request) -> Response:
        state.requests.append(Received(dict(request.headers), await request.body()))
        if state.delay:
            await asyncio.sleep(state.delay)
        return PlainTextResponse(state.reply, state.status)

    async with serve(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as base:
        state.url = f"{base}/hook"
        yield state


@pytest.fixture
def hook_settings(unicrm_state) -> Iterator[WebhookSettings]:
    """Webhook settings for a test: loopback targets allowed, short backoff; restored after."""
    settings = unicrm_state.settings
    saved = settings.webhooks
    settings.webhooks = WebhookSettings(
        allow_private_targets=True,
        timeout_seconds=2,
        max_attempts=3,
        backoff_base_seconds=10,
        backoff_max_seconds=60,
        disable_after_failures=3,
    )
    yield settings.webhooks
    settings.webhooks = saved
