"""A probe plugin whose handlers record what they receive and fail on demand."""

from __future__ import annotations

import types
from dataclasses import dataclass, field

from opentelemetry import trace

from unicrm.core.events.outbox import Event
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.core.state import AppState, create_state


@dataclass
class Probe:
    """What the handlers saw, and how many more times ``flaky`` fails."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    trace_ids: list[int] = field(default_factory=list)
    failures_left: int = 0


def probe_plugin(probe: Probe) -> types.ModuleType:
    module = types.ModuleType("probe")

    async def record(event: Event, session) -> None:
        probe.calls.append(("record", event.type))
        probe.trace_ids.append(trace.get_current_span().get_span_context().trace_id)

    async def flaky(event: Event, session) -> None:
        probe.calls.append(("flaky", event.type))
        if probe.failures_left > 0:
            probe.failures_left -= 1
            raise RuntimeError("downstream unavailable")

    @hookimpl
    def plugin_manifest() -> PluginManifest:
        return PluginManifest(name="probe", version="1", title="Probe")

    @hookimpl
    def register_event_handlers() -> dict:
        return {"thing.happened": [record, flaky]}

    module.plugin_manifest = plugin_manifest
    module.register_event_handlers = register_event_handlers
    return module


def probe_state(base: AppState, probe: Probe) -> AppState:
    """A process state on ``base``'s database with only the probe plugin (and core)."""
    return create_state(base.settings, plugins={"probe": probe_plugin(probe)}, db=base.db)
