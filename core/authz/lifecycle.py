"""Starting and stopping the policies of one process, and announcing a change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from unicrm.core.authz.defaults import sync_default_roles
from unicrm.core.authz.store import load_policies
from unicrm.core.authz.watcher import watcher_for

if TYPE_CHECKING:
    from unicrm.core.state import AppState


async def start_policies(state: AppState) -> None:
    """Synchronise the default roles, load the rules and watch for changes by other processes."""
    async with state.db.transaction() as session:
        await sync_default_roles(session, state.registry)
    await load_policies(state)
    watcher = watcher_for(state.db, state.settings.redis_url)
    await watcher.start(lambda: load_policies(state))
    state.policy_watcher = watcher


async def stop_policies(state: AppState) -> None:
    if state.policy_watcher is not None:
        await state.policy_watcher.stop()
        state.policy_watcher = None


async def policies_changed(state: AppState) -> None:
    """After a committed change: reload here, then tell every other process (a process that
    does not watch, like the command line, still announces through a one-off watcher)."""
    await load_policies(state)
    watcher = state.policy_watcher or watcher_for(state.db, state.settings.redis_url)
    await watcher.notify()
