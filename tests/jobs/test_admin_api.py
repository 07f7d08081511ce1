"""The jobs admin API: list and filter jobs, read one, retry dead letters, cancel."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update

from jobs.conftest import effects_of, job_row, worker_for
from unicrm.core.db.ids import uuid7
from unicrm.core.graph.ids import to_global_id
from unicrm.core.jobs import queue
from unicrm.core.jobs.contracts import JobRun, JobType
from unicrm.core.jobs.models import Job, JobStatus

JOB_FIELDS = "id type payload status attempts maxAttempts lastError uniqueKey finishedAt"
JOBS = f"""
query Jobs($filter: JobFilterInput, $first: Int, $after: String) {{
  jobs(filter: $filter, first: $first, after: $after) {{
    totalCount
    edges {{ node {{ {JOB_FIELDS} }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
JOB = f"query Job($id: ID!) {{ job(id: $id) {{ {JOB_FIELDS} }} }}"
RETRY = f"""
mutation Retry($id: ID!) {{
  jobRetry(input: {{id: $id}}) {{ errors {{ field code message }} job {{ {JOB_FIELDS} }} }}
}}
"""
CANCEL = f"""
mutation Cancel($id: ID!) {{
  jobCancel(input: {{id: $id}}) {{ errors {{ field code message }} job {{ {JOB_FIELDS} }} }}
}}
"""


async def add_job(state, type_name="test.sweep", status=JobStatus.QUEUED, **values) -> uuid.UUID:
    async with state.db.transaction() as session:
        job = await queue.enqueue(session, type_name, {"n": 1})
        await session.execute(
            update(Job).where(Job.id == job.id).values(status=status.value, **values)
        )
        return job.id


def gid(pk: uuid.UUID) -> str:
    return to_global_id("Job", pk)


async def test_jobs_are_listed_newest_first_and_filtered(gql, unicrm_state):
    first = await add_job(unicrm_state, "test.sweep")
    dead = await add_job(unicrm_state, "test.sweep", JobStatus.DEAD, last_error="Boom: no")
    other = await add_job(unicrm_state, "test.other")

    everything = (await gql(JOBS))["data"]["jobs"]
    dead_only = (await gql(JOBS, {"filter": {"status": "DEAD"}}))["data"]["jobs"]
    by_type = (await gql(JOBS, {"filter": {"type": "test.sweep"}}))["data"]["jobs"]

    assert [e["node"]["id"] for e in everything["edges"]] == [gid(other), gid(dead), gid(first)]
    assert everything["totalCount"] == 3
    [letter] = dead_only["edges"]
    assert letter["node"]["status"] == "DEAD"
    assert letter["node"]["lastError"] == "Boom: no"
    assert dead_only["totalCount"] == 1
    assert [e["node"]["id"] for e in by_type["edges"]] == [gid(dead), gid(first)]


async def test_jobs_are_paged_with_cursors(gql, unicrm_state):
    ids = [await add_job(unicrm_state) for _ in range(3)]

    page1 = (await gql(JOBS, {"first": 2}))["data"]["jobs"]
    after = page1["pageInfo"]["endCursor"]
    page2 = (await gql(JOBS, {"first": 2, "after": after}))["data"]["jobs"]

    assert page1["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in page1["edges"] + page2["edges"]] == [
        gid(i) for i in reversed(ids)
    ]
    assert page2["pageInfo"]["hasNextPage"] is False


async def test_one_job_by_id(gql, unicrm_state):
    job_id = await add_job(unicrm_state)

    job = (await gql(JOB, {"id": gid(job_id)}))["data"]["job"]

    assert job["type"] == "test.sweep"
    assert job["payload"] == {"n": 1}
    assert job["status"] == "QUEUED"
    assert (await gql(JOB, {"id": gid(uuid7())}))["data"]["job"] is None


@pytest.mark.parametrize(
    ("variables", "query"),
    [
        ({"first": 1000}, JOBS),
        ({"after": "not-a-cursor"}, JOBS),
        ({"filter": {"type": "  "}}, JOBS),
        ({"filter": {"status": "ASLEEP"}}, JOBS),
        ({"id": "nonsense"}, JOB),
        ({"id": to_global_id("Product", uuid.UUID(int=1))}, JOB),
    ],
    ids=["page-too-big", "bad-cursor", "blank-type", "unknown-status", "bad-id", "not-a-job-id"],
)
async def test_bad_arguments_are_clear_errors(gql, unicrm_state, variables, query):
    body = await gql(query, variables)

    assert body.get("data") is None or not any(body["data"].values())
    [error] = body["errors"]
    assert error["message"]
    assert "Traceback" not in error["message"]


async def test_a_dead_job_is_retried_with_fresh_attempts_and_runs(gql, unicrm_state):
    ran: list[int] = []

    async def works_now(job: JobRun, session) -> None:
        ran.append(job.attempt)

    job_id = await add_job(
        unicrm_state, "test.sweep", JobStatus.DEAD, attempts=5, max_attempts=5, last_error="x"
    )

    result = (await gql(RETRY, {"id": gid(job_id)}))["data"]["jobRetry"]

    assert result["errors"] == []
    assert result["job"]["status"] == "QUEUED"
    assert result["job"]["attempts"] == 0
    assert result["job"]["finishedAt"] is None
    await worker_for(unicrm_state, JobType("test.sweep", works_now)).run_due()
    assert ran == [1]
    assert (await job_row(unicrm_state, job_id)).status == JobStatus.SUCCEEDED


async def test_a_queued_job_is_cancelled_and_never_runs(gql, unicrm_state):
    job_id = await add_job(unicrm_state)

    result = (await gql(CANCEL, {"id": gid(job_id)}))["data"]["jobCancel"]

    assert result["errors"] == []
    assert result["job"]["status"] == "CANCELLED"
    assert result["job"]["finishedAt"] is not None
    assert await worker_for(unicrm_state, JobType("test.sweep", _never)).run_due() == 0


async def _never(job: JobRun, session) -> None:
    raise AssertionError("a cancelled job ran")


@pytest.mark.parametrize(
    ("mutation", "status", "code"),
    [
        (RETRY, JobStatus.QUEUED, "NOT_RETRYABLE"),
        (RETRY, JobStatus.RUNNING, "NOT_RETRYABLE"),
        (RETRY, JobStatus.SUCCEEDED, "NOT_RETRYABLE"),
        (CANCEL, JobStatus.SUCCEEDED, "NOT_CANCELLABLE"),
        (CANCEL, JobStatus.CANCELLED, "NOT_CANCELLABLE"),
    ],
    ids=["retry-queued", "retry-running", "retry-succeeded", "cancel-done", "cancel-twice"],
)
async def test_a_job_in_the_wrong_state_is_refused_and_unchanged(
    gql, unicrm_state, mutation, status, code
):
    job_id = await add_job(unicrm_state, status=status, attempts=2)

    body = await gql(mutation, {"id": gid(job_id)})

    [payload] = body["data"].values()
    assert payload["job"] is None
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("id", code)
    job = await job_row(unicrm_state, job_id)
    assert (job.status, job.attempts) == (status, 2)


@pytest.mark.parametrize("mutation", [RETRY, CANCEL], ids=["retry", "cancel"])
@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("nonsense", "INVALID_ID"),
        (to_global_id("Product", uuid.UUID(int=1)), "INVALID_ID"),
        (to_global_id("Job", uuid.UUID(int=1)), "NOT_FOUND"),
    ],
    ids=["malformed", "wrong-type", "missing"],
)
async def test_a_bad_job_id_is_a_typed_error(gql, unicrm_state, mutation, given, code):
    body = await gql(mutation, {"id": given})

    [payload] = body["data"].values()
    assert payload["job"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", code)]


async def test_cancelling_a_running_job_rolls_its_attempt_back(unicrm_state, gql):
    """The attempt finishing after the cancel cannot commit: its worker no longer holds it."""
    job_id = await add_job(unicrm_state)
    wrote: list[bool] = []

    async def cancelled_meanwhile(job: JobRun, session) -> None:
        if unicrm_state.db.is_sqlite:  # one writer: cancel between claim and run instead
            return
        assert await queue.effect_once(session, job.id)  # its rows must not block the admin
        result = (await gql(CANCEL, {"id": gid(job.id)}))["data"]["jobCancel"]
        wrote.append(result["errors"] == [])

    if unicrm_state.db.is_sqlite:
        [run] = await queue.claim(
            unicrm_state.db, "w", {"test.sweep": JobType("test.sweep", _never)}, 1, 30
        )
        await gql(CANCEL, {"id": gid(job_id)})
        worker = worker_for(unicrm_state, JobType("test.sweep", cancelled_meanwhile), name="w")
        await worker.execute(run)
    else:
        worker = worker_for(unicrm_state, JobType("test.sweep", cancelled_meanwhile))
        await worker.run_due()
        assert wrote == [True]

    job = await job_row(unicrm_state, job_id)
    assert job.status == JobStatus.CANCELLED
    assert await effects_of(unicrm_state, job_id) == 0
