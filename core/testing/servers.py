"""Real local HTTP servers for tests: an ASGI app served by uvicorn on a free port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

START_SECONDS = 10.0


@contextlib.asynccontextmanager
async def serve(app: Any, *, scheme: str = "http") -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 and a port the system picks; yields the base
    URL (``http://127.0.0.1:<port>``, or ``ws://`` with ``scheme="ws"``) and stops it after."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(START_SECONDS):
            while not server.started:
                if task.done():
                    task.result()  # the server failed to start: raise its error
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
