"""A real graphql-transport-ws client for these tests (``serve`` runs the app under test)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from unicrm.core.state import AppState

PROTOCOL = "graphql-transport-ws"
WAIT_SECONDS = 10.0


class Client:
    """One WebSocket connection speaking graphql-transport-ws."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a server ping (answered with a pong)."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                message = orjson.loads(await self.ws.recv())
                if message["type"] != "ping":
                    return message
                await self.send({"type": "pong"})

    async def init(self, token: str | None = None) -> dict[str, Any]:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(
        self, id: str, query: str, variables: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        payload = {"query": query, "variables": variables or {}, **extra}
        await self.send({"id": id, "type": "subscribe", "payload": payload})

    async def closed_with(self) -> int | None:
        """The close code the server ends the connection with."""
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(WAIT_SECONDS):
                while True:
                    await self.ws.recv()
        return self.ws.close_code


@contextlib.asynccontextmanager
async def ws_client(
    base: str, path: str = "/graphql", *, protocol: str = PROTOCOL, headers: Any = None
) -> AsyncIterator[Client]:
    async with connect(
        base + path, subprotocols=[protocol], additional_headers=headers, open_timeout=WAIT_SECONDS
    ) as ws:
        yield Client(ws)


async def live(state: AppState, count: int) -> None:
    """Wait until ``state``'s process feeds ``count`` subscriptions (they are listening)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while state.events.fanout.subscribers != count:  # noqa: ASYNC110 (polled, no event)
            await asyncio.sleep(0.01)
