"""A plugin for the worker-process tests: its job blocks until the test opens a gate.

The job greets the customer in its payload (once per job, through ``effect_once``), writes
``started-<attempt>`` in the payload's gate folder, then waits until ``release`` exists there.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jobs.conftest import greet_once
from unicrm.core.jobs.contracts import JobRun, JobType
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest

NAME = "gated"
JOB = "gated.greet"


async def greet_at_the_gate(job: JobRun, session: AsyncSession) -> None:
    await greet_once(job, session)
    await session.flush()
    gate = Path(job.payload["gate"])
    (gate / f"started-{job.attempt}").touch()
    while not (gate / "release").exists():  # noqa: ASYNC110 - another process opens the gate
        await asyncio.sleep(0.05)


@hookimpl
def plugin_manifest() -> PluginManifest:
    return PluginManifest(name=NAME, version="0.0.1", title="Gated jobs")


@hookimpl
def register_jobs() -> list[Any]:
    return [JobType(JOB, greet_at_the_gate, max_attempts=5, timeout=120)]
