"""What ``register_jobs`` returns: job types (name, handler, retry policy) and schedules."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import Settings, get_settings
from unicrm.core.errors import PluginError
from unicrm.core.jobs.cron import Cron, CronError

JOB_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
MAX_BACKOFF_SECONDS = 3600.0
"""No retry waits longer than an hour, however many attempts came before."""


@dataclass(frozen=True, slots=True)
class JobRun:
    """What a handler receives about the job it runs."""

    id: uuid.UUID
    type: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    unique_key: str | None
    traceparent: str | None = None
    settings: Settings | None = None

    @property
    def app_settings(self) -> Settings:
        """The settings of the process running the job (its worker's); the process's loaded
        settings when a run is built by hand."""
        return self.settings if self.settings is not None else get_settings()


JobHandler = Callable[[JobRun, AsyncSession], Awaitable[None]]
"""``async def handler(job, session)``: the session is inside the transaction that also marks
the job succeeded, so the handler's writes commit exactly when the job does."""


@dataclass(frozen=True, slots=True)
class JobType:
    """A kind of durable job: its name (``loyalty.expire_points``), handler and retry policy.

    A failed attempt is retried after ``backoff * 2**(attempt-1)`` seconds (at most an hour),
    shortened by up to half at random (jitter), until ``max_attempts``; then the job is dead.
    An attempt running longer than ``timeout`` seconds fails.
    """

    name: str
    handler: JobHandler
    max_attempts: int = 5
    backoff: float = 30.0
    timeout: float = 300.0

    def __post_init__(self) -> None:
        if not JOB_NAME_RE.match(self.name):
            raise PluginError(f"job type {self.name!r} must look like 'plugin.job_name'")
        if not callable(self.handler):
            raise PluginError(f"job type {self.name!r}: handler is not callable")
        if self.max_attempts < 1:
            raise PluginError(f"job type {self.name!r}: max_attempts must be at least 1")
        if self.backoff < 0 or self.timeout <= 0:
            raise PluginError(f"job type {self.name!r}: backoff and timeout must be positive")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A periodic job: ``job`` is enqueued with ``args`` as payload at each slot of ``cron``.

    ``cron`` has five fields (minute hour day-of-month month day-of-week) read as wall-clock
    time in ``timezone``, the installation's business time zone when None.
    """

    name: str
    cron: str
    job: str
    args: dict[str, Any] = field(default_factory=dict)
    timezone: str | None = None

    def __post_init__(self) -> None:
        if not JOB_NAME_RE.match(self.name):
            raise PluginError(f"schedule {self.name!r} must look like 'plugin.schedule_name'")
        try:
            Cron.parse(self.cron)
        except CronError as exc:
            raise PluginError(f"schedule {self.name!r}: {exc}") from None
        if self.timezone is not None:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise PluginError(
                    f"schedule {self.name!r}: unknown time zone {self.timezone!r}"
                ) from None

    def zone(self, business: ZoneInfo) -> ZoneInfo:
        return ZoneInfo(self.timezone) if self.timezone else business
