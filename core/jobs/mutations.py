from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.jobs import models, services
from unicrm.core.jobs.types import Job, JobError, JobErrorCode, JobInput, JobPayload


async def _change(info: strawberry.Info, input: JobInput, action: services.Action) -> JobPayload:
    async def work(session: AsyncSession) -> models.Job:
        return await action(session, decode_id(input.id, "Job"))

    return await mutate(
        info,
        work,
        payload=JobPayload,
        error_type=JobError,
        codes=JobErrorCode,
        result=lambda row: {"job": Job.from_row(row)},
    )


@strawberry.type
class JobMutation:
    @strawberry.mutation(
        metadata=requires("core.job:write"),
        description="Run a failed, dead or cancelled job again now, with fresh attempts.",
    )
    async def job_retry(self, info: strawberry.Info, input: JobInput) -> JobPayload:
        return await _change(info, input, services.retry_job)

    @strawberry.mutation(
        metadata=requires("core.job:write"),
        description="Cancel a job that has not succeeded; a running attempt cannot commit.",
    )
    async def job_cancel(self, info: strawberry.Info, input: JobInput) -> JobPayload:
        return await _change(info, input, services.cancel_job)


MUTATION = JobMutation
