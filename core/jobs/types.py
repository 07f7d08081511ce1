from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.jobs import models

JobStatus = strawberry.enum(models.JobStatus, name="JobStatus")


@guard("core.job")
@strawberry.type(name="Job", description="A durable job: queued, running, retried or done.")
class Job(Node):
    pk: strawberry.Private[uuid.UUID]
    type: str = strawberry.field(description="The job type, such as loyalty.expire_points.")
    payload: JSON
    status: JobStatus
    attempts: int = strawberry.field(description="Attempts started so far.")
    max_attempts: int | None = strawberry.field(
        description="Attempts allowed before the job is dead; the type's default until claimed."
    )
    run_at: datetime = strawberry.field(description="When the job is (next) due.")
    lease_until: datetime | None
    locked_by: str | None = strawberry.field(description="The worker running it now.")
    unique_key: str | None
    last_error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Job) -> Job:
        return cls(
            id=strawberry.ID(to_global_id("Job", row.id)),
            pk=row.id,
            type=row.type,
            payload=row.payload,
            status=models.JobStatus(row.status),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            run_at=row.run_at,
            lease_until=row.lease_until,
            locked_by=row.locked_by,
            unique_key=row.unique_key,
            last_error=row.last_error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Job | None:
        row = await info.context.loaders["core.job_by_id"].load(pk)
        return None if row is None else cls.from_row(row)


@strawberry.input
class JobFilterInput:
    status: JobStatus | None = None
    type: str | None = strawberry.field(default=None, description="An exact job type name.")


@strawberry.input
class JobInput:
    id: strawberry.ID


@strawberry.enum
class JobErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    NOT_RETRYABLE = "not_retryable"
    NOT_CANCELLABLE = "not_cancellable"


@strawberry.type
class JobError:
    field: str | None
    code: JobErrorCode
    message: str


@strawberry.type
class JobPayload:
    errors: list[JobError]
    job: Job | None = None
