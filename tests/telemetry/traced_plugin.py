"""A plugin of the trace-tree test: a ``customer.created`` handler that enqueues a follow-up
job, as a real plugin reacting to an event with later work would."""

from __future__ import annotations

from typing import Any

from unicrm.core.events.outbox import Event
from unicrm.core.jobs.contracts import JobRun, JobType
from unicrm.core.jobs.queue import enqueue
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest

NAME = "traced"
FOLLOW_UP = "traced.follow_up"
followed_up: list[str] = []


async def follow_up_later(event: Event, session: Any) -> None:
    await enqueue(session, FOLLOW_UP, {"event": str(event.id)})


async def follow_up(job: JobRun, session: Any) -> None:
    followed_up.append(job.payload["event"])


@hookimpl
def plugin_manifest() -> PluginManifest:
    return PluginManifest(name=NAME, version="0.0.1", title="Traced")


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    return {"customer.created": follow_up_later}


@hookimpl
def register_jobs() -> list[Any]:
    return [JobType(FOLLOW_UP, follow_up)]
