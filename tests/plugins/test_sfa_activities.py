"""Activities: calls, meetings with video links, visits with check-ins, e-mails and tasks with
reminders; on the customer's timeline; they stay with the customer when the owner changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from plugins.sfa_support import gid
from plugins.support import add_customers, customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.notifications.models import Notification, NotificationKind
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.graph.users.models import User
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.jobs.models import Job
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.plugins.sfa.models import Activity
from unicrm.plugins.sfa.services import activities
from unicrm.plugins.sfa.services import deals as deal_services

LOG = """mutation($input: ActivityLogInput!) { activityLog(input: $input) {
  activity { id kind subject notes createdBy videoUrl dueAt remindAt completedAt
             checkIn { latitude longitude label } deal { title } owner { email }
             customer { displayName } }
  errors { field code message } } }"""
COMPLETE = """mutation($id: ID!) { activityComplete(input: {id: $id}) {
  activity { completedAt } errors { field code } } }"""
HISTORY = """query($id: ID!) { customer(id: $id) {
  salesActivities { kind subject createdBy } } }"""


def later(hours: float) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


async def count(state, model) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def log(gql, customer_id: uuid.UUID, **fields) -> dict:
    body = await gql(LOG, {"input": {"customerId": customer_gid(customer_id), **fields}})
    return body["data"]["activityLog"]


async def test_each_kind_of_activity_is_logged_and_on_the_timeline(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    async with unicrm_state.db.transaction() as session:
        deal = await deal_services.create_deal(
            session, deal_services.DealData(customer_id=somchai, title="Solar rooftop")
        )

    call = await log(
        gql, somchai, kind="CALL", subject="Intro call", dealId=gid("Deal", deal.id), notes="Keen"
    )
    meeting = await log(
        gql, somchai, kind="MEETING", subject="Demo", videoUrl="https://meet.example.com/abc"
    )
    visit = await log(
        gql,
        somchai,
        kind="VISIT",
        subject="Site survey",
        checkIn={"latitude": 13.7563, "longitude": 100.5018, "label": "Silom office"},
    )
    email = await log(gql, somchai, kind="EMAIL", subject="Proposal sent")

    for payload in (call, meeting, visit, email):
        assert payload["errors"] == []
    assert call["activity"]["deal"] == {"title": "Solar rooftop"}
    assert call["activity"]["owner"] == {"email": "admin@unicrm.test"}
    assert call["activity"]["createdBy"] == "admin"
    assert meeting["activity"]["videoUrl"] == "https://meet.example.com/abc"
    assert visit["activity"]["checkIn"] == {
        "latitude": 13.7563,
        "longitude": 100.5018,
        "label": "Silom office",
    }
    async with unicrm_state.db.session() as session:
        kinds = set(
            (
                await session.scalars(
                    select(TimelineEntry.kind).where(TimelineEntry.customer_id == somchai)
                )
            ).all()
        )
    assert {"sfa.call", "sfa.meeting", "sfa.visit", "sfa.email"} <= kinds

    deal_view = await gql(
        "query($id: ID!) { node(id: $id) { ... on Deal { activities { subject } } } }",
        {"id": gid("Deal", deal.id)},
    )
    assert deal_view["data"]["node"]["activities"] == [{"subject": "Intro call"}]


async def test_bad_activity_input_is_refused_and_writes_nothing(gql, unicrm_state):
    somchai, malee = await add_customers(unicrm_state, "Somchai", "Malee")
    async with unicrm_state.db.transaction() as session:
        maleesdeal = await deal_services.create_deal(
            session, deal_services.DealData(customer_id=malee, title="Not Somchai's")
        )
    cases = [
        ({"kind": "CALL", "subject": " "}, [("subject", "REQUIRED")]),
        (
            {"kind": "CALL", "subject": "x", "videoUrl": "https://meet.example.com/a"},
            [("videoUrl", "NOT_FOR_KIND")],
        ),
        (
            {"kind": "MEETING", "subject": "x", "videoUrl": "javascript:alert(1)"},
            [("videoUrl", "INVALID_URL")],
        ),
        (
            {"kind": "VISIT", "subject": "x", "checkIn": {"latitude": 91, "longitude": 100}},
            [("checkIn.latitude", "INVALID_LOCATION")],
        ),
        (
            {"kind": "EMAIL", "subject": "x", "checkIn": {"latitude": 1, "longitude": 1}},
            [("checkIn", "NOT_FOR_KIND")],
        ),
        ({"kind": "TASK", "subject": "Call back"}, [("dueAt", "REQUIRED")]),
        (
            {"kind": "TASK", "subject": "x", "dueAt": later(2), "remindAt": later(3)},
            [("remindAt", "INVALID_TIME")],
        ),
        (
            {"kind": "TASK", "subject": "x", "dueAt": later(2), "remindAt": later(-1)},
            [("remindAt", "INVALID_TIME")],
        ),
        (
            {"kind": "CALL", "subject": "x", "dealId": gid("Deal", maleesdeal.id)},
            [("dealId", "DEAL_OF_ANOTHER_CUSTOMER")],
        ),
        (
            {"kind": "CALL", "subject": "x", "dealId": gid("Deal", uuid.UUID(int=3))},
            [("dealId", "NOT_FOUND")],
        ),
        ({"kind": "CALL", "subject": "x", "durationMinutes": 0}, [("durationMinutes", "INVALID")]),
        ({"kind": "CALL", "subject": "x", "notes": "n" * 4001}, [("notes", "TOO_LONG")]),
        ({"kind": "CALL", "subject": "x", "ownerId": "bad"}, [("ownerId", "INVALID_ID")]),
    ]
    for fields, expected in cases:
        payload = await log(gql, somchai, **fields)
        assert payload["activity"] is None, fields
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, fields

    assert await count(unicrm_state, Activity) == 0
    assert await count(unicrm_state, Job) == 0


async def test_a_task_reminder_notifies_its_owner_once_unless_done(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    task = await log(
        gql, somchai, kind="TASK", subject="Send the quote", dueAt=later(5), remindAt=later(4)
    )
    other = await log(
        gql, somchai, kind="TASK", subject="Book the demo car", dueAt=later(5), remindAt=later(4)
    )
    async with unicrm_state.db.session() as session:
        jobs = (await session.scalars(select(Job).where(Job.type == activities.REMINDER_JOB))).all()
    assert len(jobs) == 2
    assert all(j.run_at > utcnow() + timedelta(hours=3) for j in jobs)
    done = await gql(COMPLETE, {"id": other["activity"]["id"]})
    assert done["data"]["activityComplete"]["activity"]["completedAt"] is not None

    for job in jobs:
        run = JobRun(job.id, job.type, job.payload, 1, 5, job.unique_key)
        for _ in range(2):  # a retried job notifies nobody twice
            async with unicrm_state.db.transaction() as session:
                await activities.remind(run, session)

    async with unicrm_state.db.session() as session:
        notes = (
            await session.scalars(
                select(Notification).where(Notification.kind == NotificationKind.REMINDER)
            )
        ).all()
    assert [n.title.split(" (due")[0] for n in notes] == ["Task reminder: Send the quote"]
    assert task["activity"]["remindAt"] is not None


async def test_only_a_task_is_completed(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    call = await log(gql, somchai, kind="CALL", subject="Intro")

    body = await gql(COMPLETE, {"id": call["activity"]["id"]})
    missing = await gql(COMPLETE, {"id": gid("Activity", uuid.UUID(int=2))})

    assert [e["code"] for e in body["data"]["activityComplete"]["errors"]] == ["NOT_FOR_KIND"]
    assert [e["code"] for e in missing["data"]["activityComplete"]["errors"]] == ["NOT_FOUND"]


async def test_activities_stay_with_the_customer_when_the_rep_changes(unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    first = await sign_in_as(unicrm_state, "first@unicrm.test", "field_sales")
    second = await sign_in_as(unicrm_state, "second@unicrm.test", "field_sales")
    async with unicrm_state.db.session() as session:
        ids = dict((await session.execute(select(User.email, User.id))).all())

    async def as_rep(token: str, query: str, variables: dict) -> dict:
        async with client_for(unicrm_state, token) as http:
            return (
                await http.post("/graphql", json={"query": query, "variables": variables})
            ).json()

    async def own_customer(email: str) -> None:
        async with unicrm_state.db.transaction() as session:
            await session.execute(
                update(Customer).where(Customer.id == somchai).values(owner_id=ids[email])
            )

    await own_customer("first@unicrm.test")
    logged = await as_rep(
        first,
        LOG,
        {"input": {"customerId": customer_gid(somchai), "kind": "VISIT", "subject": "First visit"}},
    )
    assert logged["data"]["activityLog"]["errors"] == []
    not_yet = await as_rep(second, HISTORY, {"id": customer_gid(somchai)})

    await own_customer("second@unicrm.test")
    taken_over = await as_rep(second, HISTORY, {"id": customer_gid(somchai)})

    assert not_yet["data"]["customer"] is None
    assert taken_over["data"]["customer"]["salesActivities"] == [
        {"kind": "VISIT", "subject": "First visit", "createdBy": "first"}
    ]


async def test_customer_activities_are_newest_first_and_limited(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    for day in (1, 3, 2):
        await log(
            gql,
            somchai,
            kind="CALL",
            subject=f"Day {day}",
            occurredAt=datetime(2026, 11, day, 9, tzinfo=UTC).isoformat(),
        )

    body = await gql(
        "query($id: ID!) { customer(id: $id) { salesActivities(limit: 2) { subject } } }",
        {"id": customer_gid(somchai)},
    )
    too_many = await gql(
        "query($id: ID!) { customer(id: $id) { salesActivities(limit: 1000) { subject } } }",
        {"id": customer_gid(somchai)},
    )

    assert body["data"]["customer"]["salesActivities"] == [
        {"subject": "Day 3"},
        {"subject": "Day 2"},
    ]
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
