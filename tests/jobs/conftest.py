"""Job types the tests control, workers built from them, and reading jobs back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from plugins.example_plugin import Greeting
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import JobSettings
from unicrm.core.graph.customers.models import Customer
from unicrm.core.jobs.contracts import JobRun, JobType
from unicrm.core.jobs.models import Job, JobEffect
from unicrm.core.jobs.queue import effect_once
from unicrm.core.jobs.worker import Worker
from unicrm.core.state import AppState


async def greet_once(job: JobRun, session: AsyncSession) -> None:
    """The effect of the test jobs: one greeting for the payload's customer, once per job."""
    if await effect_once(session, job.id, "greeting"):
        customer = await session.get(Customer, uuid.UUID(job.payload["customer_id"]))
        assert customer is not None
        session.add(Greeting(customer_id=customer.id, message=f"job {job.id}"))


def worker_for(
    state: AppState, *types: JobType, name: str | None = None, **settings: Any
) -> Worker:
    options = {"lease_seconds": 30.0, "poll_seconds": 0.05, "shutdown_grace_seconds": 5.0}
    options.update(settings)
    return Worker(state.db, {t.name: t for t in types}, JobSettings(**options), name=name)


async def job_row(state: AppState, job_id: uuid.UUID) -> Job:
    async with state.db.session() as session:
        job = await session.get(Job, job_id)
    assert job is not None
    return job


async def greetings_of(state: AppState, customer_id: uuid.UUID) -> int:
    async with state.db.session() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(Greeting)
                .where(Greeting.customer_id == customer_id)
            )
            or 0
        )


async def effects_of(state: AppState, job_id: uuid.UUID) -> int:
    async with state.db.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(JobEffect).where(JobEffect.job_id == job_id)
            )
            or 0
        )


@pytest.fixture
def postgres_state(unicrm_state: AppState) -> AppState:
    """``unicrm_state`` on PostgreSQL only: behaviour that needs concurrent writers."""
    if unicrm_state.db.is_sqlite:
        pytest.skip("needs concurrent writers (PostgreSQL)")
    return unicrm_state
