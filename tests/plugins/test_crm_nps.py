"""NPS surveys: sent to a segment's members by a durable job (once per quiet period),
answered once through the signed link (0-10), reported as promoters, passives, detractors and
the Net Promoter Score, for everyone or a segment. Bad input changes nothing."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from core.messaging.messaging_support import add_customer, add_templates, run_jobs
from sqlalchemy import func, select

from core.messaging import conftest as messaging
from plugins.crm_support import codes, gid
from plugins.support import add_rows
from unicrm.core.db.types import utcnow
from unicrm.core.jobs.models import Job
from unicrm.core.messaging.services import TemplateData
from unicrm.core.segments.models import Segment, SegmentKind, SegmentMember
from unicrm.core.testing.pytest_plugin import client_for
from unicrm.plugins.crm.models import NpsSurvey

# the messaging tests' real SMTP server and runtime set-up
smtp, configure = messaging.smtp, messaging.configure
provider, http_provider = messaging.provider, messaging.http_provider

NPS = TemplateData(
    key="crm.nps_survey",
    channel="email",
    locale="th",
    subject="Would you recommend us?",
    text_body="Tell us: {{ survey_url }}",
    variables=("survey_url",),
)
SEND = """mutation($segment: ID!, $quiet: Int!) {
    npsSurveysSend(input: {segmentId: $segment, quietDays: $quiet}) {
    errors { field code message } enqueued } }"""
REPORT = """query($since: DateTime!, $until: DateTime!, $segment: ID) {
    npsReport(since: $since, until: $until, buckets: 1, segmentId: $segment) {
    total { answers promoters passives detractors score } trend { counts { answers } } } }"""


async def _count(state, model, *where) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _segment(state, name: str, members) -> str:
    segment = Segment(name=name, kind=SegmentKind.STATIC, refresh_minutes=60, member_count=0)
    await add_rows(state, segment)
    await add_rows(state, *[SegmentMember(segment_id=segment.id, customer_id=m) for m in members])
    return gid("Segment", segment.id)


async def test_nps_surveys_are_sent_answered_once_and_reported(gql, unicrm_state, configure, smtp):
    state = unicrm_state
    await add_templates(state, NPS)
    malee = await add_customer(state, "Malee", email="malee@example.co.th")
    somchai = await add_customer(state, "Somchai", email="somchai@example.co.th")
    outsider = await add_customer(state, "Anan", email="anan@example.co.th")
    segment = await _segment(state, "Gold", [malee, somchai])
    other = await _segment(state, "Others", [outsider])

    sent = (await gql(SEND, {"segment": segment, "quiet": 90}))["data"]["npsSurveysSend"]
    assert sent == {"errors": [], "enqueued": True}
    await run_jobs(state)
    await run_jobs(state)  # the e-mails' delivery
    assert sorted(m["To"] for m in smtp.mails) == ["malee@example.co.th", "somchai@example.co.th"]
    again = (await gql(SEND, {"segment": segment, "quiet": 90}))["data"]["npsSurveysSend"]
    assert again["errors"] == []
    await run_jobs(state)
    assert await _count(state, NpsSurvey) == 2  # surveyed lately: skipped

    links = {
        m["To"]: re.search(r"http://unicrm.test(/crm/nps/\S+)", m.get_content()).group(1)
        for m in smtp.mails
    }
    async with client_for(state) as http:  # the customers: no credentials
        page = await http.get(links["malee@example.co.th"])
        too_high = await http.post(links["malee@example.co.th"], json={"score": 11})
        first = await http.post(links["malee@example.co.th"], json={"score": 10})
        second = await http.post(links["malee@example.co.th"], json={"score": 0})
        low = await http.post(links["somchai@example.co.th"], data={"score": "3"})
        forged = await http.post(links["somchai@example.co.th"][:-2] + "AA", json={"score": 9})
    assert page.status_code == 200 and 'value="0"' in page.text and 'value="10"' in page.text
    assert too_high.status_code == 400
    assert (first.status_code, second.status_code, low.status_code) == (200, 409, 200)
    assert forged.status_code == 404

    now = utcnow()
    period = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(minutes=1)).isoformat(),
    }
    everyone = (await gql(REPORT, period))["data"]["npsReport"]
    assert everyone["total"] == {
        "answers": 2,
        "promoters": 1,
        "passives": 0,
        "detractors": 1,
        "score": 0.0,
    }
    assert everyone["trend"] == [{"counts": {"answers": 2}}]
    outsiders = (await gql(REPORT, {**period, "segment": other}))["data"]["npsReport"]
    assert outsiders["total"]["answers"] == 0 and outsiders["total"]["score"] is None


async def test_bad_nps_requests_change_nothing(gql, unicrm_state):
    state = unicrm_state
    segment = await _segment(state, "Gold", [])
    bad = [
        ({"segment": segment, "quiet": -1}, [("quietDays", "INVALID")]),
        ({"segment": gid("Segment", uuid.uuid4()), "quiet": 9}, [("segmentId", "NOT_FOUND")]),
        ({"segment": gid("Customer", uuid.uuid4()), "quiet": 9}, [("segmentId", "INVALID_ID")]),
    ]
    for variables, expected in bad:
        assert codes((await gql(SEND, variables))["data"]["npsSurveysSend"]) == expected
    assert await _count(state, Job, Job.type == "crm.nps_send") == 0
    now = utcnow()
    answer = await gql(REPORT, {"since": now.isoformat(), "until": now.isoformat()})
    assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
