"""The dispatcher loop: delivers events to handlers and webhooks until told to stop.

It runs in the server process (``events.dispatcher_in_server``) and is the coroutine a
separate worker process runs: ``await run_dispatcher(state, stop_event)``. Everything it
works on is in the database, so any number of loops may run at once and a restarted process
carries on where a crashed one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from unicrm.core.webhooks.sender import deliver_all_due

if TYPE_CHECKING:
    from unicrm.core.state import AppState

log = logging.getLogger("unicrm.events")

ERROR_PAUSE_SECONDS = 5.0


async def dispatch_once(state: AppState, now: datetime | None = None) -> int:
    """Fan out pending events, run due handler deliveries and send due webhooks; returns how
    many deliveries and webhook attempts were made."""
    done = await state.events.dispatch_pending(now)
    return done + await deliver_all_due(state.db, state.settings, now)


async def run_dispatcher(state: AppState, stop: asyncio.Event) -> None:
    """Dispatch until ``stop`` is set: at once after a local commit, else every poll interval."""
    bus = state.events
    bus.dispatcher_running = True
    try:
        while not stop.is_set():
            bus.wake.clear()
            pause = bus.settings.poll_interval_seconds
            try:
                await dispatch_once(state)
            except Exception:  # the database may be briefly unreachable; keep the loop alive
                log.exception("event dispatch failed")
                pause = ERROR_PAUSE_SECONDS
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(bus.wake.wait())]
            try:
                await asyncio.wait(waits, timeout=pause, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiter
    finally:
        bus.dispatcher_running = False
