"""Core's messaging job: delivering one queued message (retried with backoff)."""

from __future__ import annotations

from unicrm.core.jobs.contracts import JobType
from unicrm.core.messaging.services import DELIVER_JOB, deliver

JOB_TYPES = (JobType(DELIVER_JOB, deliver, max_attempts=6, backoff=60, timeout=120),)
