"""SLA policies, due times in working hours, the pause while pending customer, warnings and
breaches announced once by the durable scan job, and breach counts per queue."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from core.lead_support import count, staff
from sqlalchemy import select, update

from plugins.crm_support import MESSAGE, OPEN, STATUS, codes, gid, team
from plugins.support import add_customers, customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.ids import from_global_id
from unicrm.core.graph.notifications.models import Notification, NotificationKind
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.jobs.models import Job
from unicrm.core.jobs.queue import enqueue
from unicrm.core.jobs.runtime import make_worker
from unicrm.plugins.crm.models import Case, SlaPolicy
from unicrm.plugins.crm.services.sla import load_calendar

SET = """mutation($input: SlaPolicySetInput!) { slaPolicySet(input: $input) {
    errors { field code message } policy { id name priority category firstResponseMinutes
    resolutionMinutes warnBeforeMinutes } } }"""
SLA = """query($id: ID!) { case(id: $id) { sla { firstResponseDueAt resolutionDueAt paused
    pausedMinutes firstResponseBreachedAt resolutionBreachedAt policy { name } } } }"""


def policy(**extra) -> dict:
    return {
        "input": {
            "name": "Urgent",
            "priority": "URGENT",
            "firstResponseMinutes": 60,
            "resolutionMinutes": 480,
            "warnBeforeMinutes": 30,
            **extra,
        }
    }


async def _case(state, case_id: str) -> Case:
    async with state.db.session() as session:
        return await session.get(Case, from_global_id(case_id)[1])


async def _open(gql, customer, **extra) -> str:
    variables = {
        "input": {
            "customerId": customer_gid(customer),
            "subject": "No signal",
            "channel": "PHONE",
            **extra,
        }
    }
    payload = (await gql(OPEN, variables))["data"]["caseOpen"]
    assert payload["errors"] == []
    return payload["case"]["id"]


async def test_targets_must_be_positive_and_nothing_is_written(gql, unicrm_state):
    for given, expected in (
        ({"firstResponseMinutes": -5}, [("firstResponseMinutes", "INVALID_TARGET")]),
        ({"resolutionMinutes": 0}, [("resolutionMinutes", "INVALID_TARGET")]),
        ({"warnBeforeMinutes": -1}, [("warnBeforeMinutes", "INVALID_TARGET")]),
        ({"name": " "}, [("name", "REQUIRED")]),
        ({"category": "Not a key!"}, [("category", "INVALID")]),
    ):
        payload = (await gql(SET, policy(**given)))["data"]["slaPolicySet"]
        assert codes(payload) == expected
        assert payload["policy"] is None
    assert await count(unicrm_state, SlaPolicy) == 0


async def test_the_most_specific_policy_sets_due_times_in_working_hours(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    assert (await gql(SET, policy(name="Default", priority=None)))["data"]["slaPolicySet"][
        "errors"
    ] == []
    urgent = (await gql(SET, policy()))["data"]["slaPolicySet"]
    assert urgent["policy"]["priority"] == "URGENT"
    again = (await gql(SET, policy(resolutionMinutes=240)))["data"]["slaPolicySet"]
    assert again["policy"]["id"] == urgent["policy"]["id"]  # one policy per pair
    await gql(SET, policy(name="Urgent outage", category="outage", firstResponseMinutes=15))

    plain = await _open(gql, malee, priority="URGENT")
    outage = await _open(gql, malee, priority="URGENT", category="outage")
    low = await _open(gql, malee, priority="LOW")

    async with state.db.session() as session:
        calendar = await load_calendar(session, ZoneInfo("Asia/Bangkok"))
    for case_id, name, first, resolution in (
        (plain, "Urgent", 60, 240),
        (outage, "Urgent outage", 15, 480),
        (low, "Default", 60, 480),
    ):
        row = await _case(state, case_id)
        sla = (await gql(SLA, {"id": case_id}))["data"]["case"]["sla"]
        assert sla["policy"] == {"name": name}
        assert row.first_response_due_at == calendar.add(row.opened_at, first)
        assert row.resolution_due_at == calendar.add(row.opened_at, resolution)
        assert row.resolution_warn_at == calendar.add(row.opened_at, resolution - 30)
        assert sla["paused"] is False

    changed = await gql(
        "mutation($id: ID!) { caseUpdate(input: {id: $id, priority: LOW}) { errors { code } } }",
        {"id": plain},
    )
    assert changed["data"]["caseUpdate"]["errors"] == []
    row = await _case(state, plain)
    assert row.resolution_due_at == calendar.add(row.opened_at, 480)  # now under Default


async def test_pending_customer_stops_the_clock(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    await gql(SET, policy(priority=None, name="Default"))
    case_id = await _open(gql, malee)
    before = await _case(state, case_id)

    reply = {
        "caseId": case_id,
        "kind": "REPLY",
        "body": "Restart?",
        "thenStatus": "PENDING_CUSTOMER",
    }
    await gql(MESSAGE, {"input": reply})
    assert (await gql(SLA, {"id": case_id}))["data"]["case"]["sla"]["paused"] is True
    waited_since = utcnow() - timedelta(days=3)
    async with state.db.transaction() as session:
        await session.execute(update(Case).values(sla_paused_at=waited_since))
    answer = {"caseId": case_id, "kind": "CUSTOMER", "body": "Still broken"}
    assert (await gql(MESSAGE, {"input": answer}))["data"]["caseMessageAdd"]["case"][
        "status"
    ] == "OPEN"

    after = await _case(state, case_id)
    async with state.db.session() as session:
        calendar = await load_calendar(session, ZoneInfo("Asia/Bangkok"))
    waited = calendar.minutes_between(waited_since, utcnow())
    assert after.sla_paused_at is None
    assert abs(after.sla_paused_seconds / 60 - waited) < 1
    assert after.resolution_due_at == calendar.add(
        before.opened_at, 480 + after.sla_paused_seconds / 60
    )
    assert after.resolution_due_at > before.resolution_due_at or waited == 0


async def _scan(state, now) -> None:
    async with state.db.transaction() as session:
        job = await enqueue(session, "crm.sla_scan", {})
    run = JobRun(job.id, job.type, {"now": now.isoformat()}, 1, 5, None)
    handler = state.registry.job_types["crm.sla_scan"].handler
    async with state.db.transaction() as session:
        await handler(run, session)


async def test_warnings_and_breaches_are_announced_once_and_counted_per_queue(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    await gql(SET, policy(priority=None, name="Default"))
    async with staff(state, "agent@unicrm.test", "support_agent") as agent:
        queue = await team(state, "Internet", [agent.pk])
        case_id = await _open(gql, malee, teamId=gid("Team", queue), assigneeId=agent.gid)
        answered = await _open(gql, malee, teamId=gid("Team", queue), subject="Answered")
        await gql(MESSAGE, {"input": {"caseId": answered, "kind": "REPLY", "body": "Hi"}})
        row = await _case(state, case_id)

        await _scan(state, row.first_response_warn_at - timedelta(minutes=1))
        assert await count(state, OutboxEvent, OutboxEvent.type.like("crm.sla_%")) == 0

        await _scan(state, row.first_response_warn_at)
        await _scan(state, row.first_response_warn_at)  # a second run announces nothing new
        async with state.db.session() as session:
            alerts = (
                await session.execute(
                    select(OutboxEvent.type, OutboxEvent.payload).where(
                        OutboxEvent.type.like("crm.sla_%")
                    )
                )
            ).all()
        assert [(t, p["case_id"], p["target"]) for t, p in alerts] == [
            ("crm.sla_warning", case_id, "first_response")
        ]

        await _scan(state, row.resolution_due_at)
        await _scan(state, row.resolution_due_at + timedelta(hours=1))
        async with state.db.session() as session:
            kinds = sorted(
                (t, p["case_id"] == case_id, p["target"])
                for t, p in (
                    await session.execute(
                        select(OutboxEvent.type, OutboxEvent.payload).where(
                            OutboxEvent.type.like("crm.sla_%")
                        )
                    )
                ).all()
            )
        assert kinds == [
            ("crm.sla_breached", False, "resolution"),
            ("crm.sla_breached", True, "first_response"),
            ("crm.sla_breached", True, "resolution"),
            ("crm.sla_warning", False, "resolution"),
            ("crm.sla_warning", True, "first_response"),
            ("crm.sla_warning", True, "resolution"),
        ]
        alerts_to_agent = await count(
            state,
            Notification,
            Notification.user_id == agent.pk,
            Notification.kind == NotificationKind.SLA_WARNING,
        )
        assert alerts_to_agent == 4  # two warnings, two breaches; the unassigned one: none
        sla = (await agent.gql(SLA, {"id": case_id}))["data"]["case"]["sla"]
        assert sla["firstResponseBreachedAt"] is not None

    breaches = (
        await gql(
            """query($since: DateTime!, $until: DateTime!) {
            slaBreachesByTeam(since: $since, until: $until) {
            team { name } firstResponse resolution } }""",
            {
                "since": row.opened_at.isoformat(),
                "until": (row.resolution_due_at + timedelta(days=1)).isoformat(),
            },
        )
    )["data"]["slaBreachesByTeam"]
    assert breaches == [{"team": {"name": "Internet"}, "firstResponse": 1, "resolution": 2}]
    backwards = await gql(
        """query($t: DateTime!) { slaBreachesByTeam(since: $t, until: $t) { resolution } }""",
        {"t": row.opened_at.isoformat()},
    )
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_resolved_case_is_never_breached(gql, unicrm_state):
    [malee] = await add_customers(unicrm_state, "Malee")
    await gql(SET, policy(priority=None, name="Default"))
    case_id = await _open(gql, malee)
    await gql(STATUS, {"id": case_id, "status": "RESOLVED"})
    row = await _case(unicrm_state, case_id)

    await _scan(unicrm_state, row.resolution_due_at + timedelta(days=1))

    assert await count(unicrm_state, OutboxEvent, OutboxEvent.type.like("crm.sla_%")) == 0


async def test_business_hours_and_holidays(gql, unicrm_state):
    calendar = "calendar { timeZone hours { weekday start end } holidays { day name } }"
    bad = await gql(
        f"""mutation {{ businessHoursSet(hours: [{{weekday: 0, start: "09:00", end: "12:00"}},
        {{weekday: 0, start: "11:00", end: "13:00"}}]) {{ errors {{ field code }} {calendar} }} }}"""
    )
    assert codes(bad["data"]["businessHoursSet"]) == [("hours.1", "OVERLAP")]
    night = await gql(
        f"""mutation {{ businessHoursSet(hours: [{{weekday: 4, start: "22:00", end: "06:00"}},
        {{weekday: 0, start: "08:30", end: "17:30"}}]) {{ errors {{ field code }} {calendar} }} }}"""
    )
    assert night["data"]["businessHoursSet"]["calendar"]["hours"] == [
        {"weekday": 0, "start": "08:30", "end": "17:30"},
        {"weekday": 4, "start": "22:00", "end": "06:00"},
    ]
    add = f"""mutation($d: Date!) {{ holidayAdd(input: {{day: $d, name: "Songkran"}}) {{
        errors {{ field code }} {calendar} }} }}"""
    first = (await gql(add, {"d": "2027-04-13"}))["data"]["holidayAdd"]
    assert first["calendar"]["holidays"] == [{"day": "2027-04-13", "name": "Songkran"}]
    assert first["calendar"]["timeZone"] == "Asia/Bangkok"
    assert codes((await gql(add, {"d": "2027-04-13"}))["data"]["holidayAdd"]) == [
        ("day", "DUPLICATE")
    ]
    remove = """mutation($d: Date!) { holidayRemove(day: $d) { errors { field code } } }"""
    assert (await gql(remove, {"d": "2027-04-13"}))["data"]["holidayRemove"]["errors"] == []
    assert codes((await gql(remove, {"d": "2027-04-13"}))["data"]["holidayRemove"]) == [
        ("day", "NOT_FOUND")
    ]


async def test_a_policy_change_recomputes_open_cases_in_a_job(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    await gql(SET, policy(name="Default", priority=None))
    cases = [await _open(gql, malee) for _ in range(3)]
    resolved = await _open(gql, malee)
    await gql(STATUS, {"id": resolved, "status": "RESOLVED"})
    before = {c: (await _case(state, c)).resolution_due_at for c in [*cases, resolved]}

    changed = await gql(SET, policy(name="Default", priority=None, resolutionMinutes=60))
    assert changed["data"]["slaPolicySet"]["errors"] == []
    assert {c: (await _case(state, c)).resolution_due_at for c in before} == before  # not yet
    assert await count(state, Job, Job.type == "crm.sla_reapply") == 2  # one per change
    async with state.db.transaction() as session:  # batches of two: the job continues itself
        await enqueue(session, "crm.sla_reapply", {"limit": 2})
    while await make_worker(state).run_due():
        pass

    assert await count(state, Job, Job.type == "crm.sla_reapply") == 4  # + 2 batches of 2
    async with state.db.session() as session:
        calendar = await load_calendar(session, ZoneInfo("Asia/Bangkok"))
    for case_id in cases:
        row = await _case(state, case_id)
        assert row.resolution_due_at == calendar.add(row.opened_at, 60)
    assert (await _case(state, resolved)).resolution_due_at == before[resolved]
