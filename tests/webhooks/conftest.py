"""A real HTTP receiver (uvicorn on a free port) and webhook settings for the tests."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from unicrm.core.config import WebhookSettings


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    port = _free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hook")

    async def hook(request: Request) -> Response:
        state.requests.append(Received(dict(request.headers), await request.body()))
        if state.delay:
            await asyncio.sleep(state.delay)
        return PlainTextResponse(state.reply, state.status)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started, "the receiver did not start"
    yield state
    server.should_exit = True
    await task


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
