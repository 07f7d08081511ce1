"""The job queue, the effects jobs applied, and the last slot each schedule enqueued."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """The last attempt failed; it runs again at ``run_at``."""
    DEAD = "dead"
    """Every attempt failed: the dead letter, kept until an admin retries or cancels it."""
    CANCELLED = "cancelled"


RUNNABLE = (JobStatus.QUEUED, JobStatus.FAILED)
FINISHED = (JobStatus.SUCCEEDED, JobStatus.DEAD, JobStatus.CANCELLED)


class Job(IdMixin, Base):
    """One durable job. Claimed by a worker under a lease; at most one worker holds it."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_claim", "status", "run_at"),
        Index("ix_job_lease", "status", "lease_until"),
        Index("ix_job_type", "type", "id"),
    )

    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int | None]
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(200))
    unique_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    traceparent: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class JobEffect(Base):
    """An effect a job applied, written in the same transaction as the effect itself.

    The primary key makes a second run of the same job (after a crash or a lost lease) find
    the effect already applied instead of applying it again.
    """

    __tablename__ = "job_effect"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("job.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JobSchedule(Base):
    """The latest slot the scheduler enqueued for a schedule; later slots only move it on."""

    __tablename__ = "job_schedule"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_slot: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
