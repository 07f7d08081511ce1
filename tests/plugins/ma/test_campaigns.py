"""Campaigns end to end over a real SMTP server: the audience is a core segment, the content
core templates, every send passes core's contact policy (an unsubscribed or non-consenting
customer is never sent to), batches are throttled durable jobs, a re-send never double-sends,
and the open pixel and tracked links feed the per-variant numbers of an A/B test."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from plugins.ma.support import BROWSER, NEWS, PIXEL, add_person, count
from plugins.support import customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.graph.ids import to_global_id
from unicrm.core.jobs.models import Job
from unicrm.core.jobs.queue import enqueue
from unicrm.core.jobs.runtime import make_worker
from unicrm.core.messaging.models import Message
from unicrm.core.messaging.services import TemplateData, create_template
from unicrm.core.segments.models import Segment, SegmentKind, SegmentMember
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.ma.models import Campaign, CampaignRecipient, CampaignStatus
from unicrm.plugins.ma.services.campaigns import SEND_JOB

NEWS_B = TemplateData(
    key="ma-news-b",
    channel="email",
    locale="th",
    subject="Only for you, {{ customer.first_name }}",
    text_body="Offer: https://shop.test/offer\nUnsubscribe: {{ unsubscribe_url }}",
    html_body='<html><body><a href="https://shop.test/offer">Offer</a>'
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>',
)
CREATE = """
mutation($input: MaCampaignCreateInput!) {
  maCampaignCreate(input: $input) { errors { field code message } campaign { id status } }
}"""
SCHEDULE = """
mutation($input: MaCampaignScheduleInput!) {
  maCampaignSchedule(input: $input) { errors { field code message } campaign { status sendAt } }
}"""
STATS = """{ maCampaigns { name status winner variants {
  variant recipients sent blocked opened clicked openRate } } }"""
UNSUBSCRIBE = re.compile(r'href="http://unicrm\.test(/messaging/unsubscribe/[^"]+)"')


async def _list(state, *customers: uuid.UUID) -> str:
    async with state.db.transaction() as session:
        segment = Segment(name="Newsletter", kind=SegmentKind.STATIC)
        session.add(segment)
        await session.flush()
        session.add_all(SegmentMember(segment_id=segment.id, customer_id=c) for c in customers)
    return to_global_id("Segment", segment.id)


async def _templates(state, *templates: TemplateData) -> None:
    async with state.db.transaction() as session:
        for data in templates:
            await create_template(session, data)


async def _run_jobs(state) -> None:
    worker = make_worker(state)
    while await worker.run_due():
        pass


async def _campaign(gql, segment: str, **changes: Any) -> str:
    data = await gql(
        CREATE,
        {
            "input": {
                "name": "November news",
                "segmentId": segment,
                "templateKey": NEWS.key,
                **changes,
            }
        },
    )
    result = data["data"]["maCampaignCreate"]
    assert result["errors"] == [], result
    assert result["campaign"]["status"] == "DRAFT"
    return result["campaign"]["id"]


async def _send(gql, campaign: str) -> None:
    data = await gql(SCHEDULE, {"input": {"id": campaign}})
    assert data["data"]["maCampaignSchedule"]["errors"] == []


async def test_only_consenting_subscribed_customers_get_the_campaign_and_never_twice(
    unicrm_state, gql, anonymous_client, inbox
):
    await _templates(unicrm_state, NEWS)
    malee = await add_person(unicrm_state, "Malee", "malee@example.co.th")
    somchai = await add_person(unicrm_state, "Somchai", "somchai@example.co.th", consent=False)
    nid = await add_person(unicrm_state, "Nid", "nid@example.co.th")
    segment = await _list(unicrm_state, malee, somchai, nid)

    first = await _campaign(gql, segment)
    await _send(gql, first)
    await _run_jobs(unicrm_state)

    assert sorted(inbox.recipients()) == ["malee@example.co.th", "nid@example.co.th"]
    async with unicrm_state.db.session() as session:
        outcomes = {
            r.customer_id: r.outcome for r in await session.scalars(select(CampaignRecipient))
        }
    assert outcomes == {malee: "queued", somchai: "blocked", nid: "queued"}

    # Nid unsubscribes through the link of the mail
    nid_mail = next(i for i, m in enumerate(inbox.mails) if m["To"] == "nid@example.co.th")
    [link] = UNSUBSCRIBE.findall(inbox.html(nid_mail))
    assert (await anonymous_client.post(link)).status_code == 200

    second = await _campaign(gql, segment, name="December news")
    await _send(gql, second)
    await _run_jobs(unicrm_state)

    assert sorted(inbox.recipients()) == [
        "malee@example.co.th",
        "malee@example.co.th",
        "nid@example.co.th",
    ]

    # sending again: a scheduled campaign is no draft, and a repeated batch sends nothing
    again = await gql(SCHEDULE, {"input": {"id": second}})
    assert again["data"]["maCampaignSchedule"]["errors"][0]["code"] == "NOT_DRAFT"
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Campaign).values(status=CampaignStatus.SENDING))
        for campaign in await session.scalars(select(Campaign.id)):
            await enqueue(session, SEND_JOB, {"campaign_id": str(campaign), "batch": 99})
    await _run_jobs(unicrm_state)
    assert len(inbox.mails) == 3
    assert await count(unicrm_state, CampaignRecipient) == 6
    assert await count(unicrm_state, Message) == 6

    data = await gql(STATS)
    stats = {c["name"]: c for c in data["data"]["maCampaigns"]}
    assert stats["December news"]["variants"] == [
        {
            "variant": "A",
            "recipients": 3,
            "sent": 1,
            "blocked": 2,
            "opened": 0,
            "clicked": 0,
            "openRate": 0.0,
        }
    ]


async def test_batches_are_throttled_per_minute(unicrm_state, gql, inbox):
    await _templates(unicrm_state, NEWS)
    people = [await add_person(unicrm_state, f"P{i}", f"p{i}@example.co.th") for i in range(3)]
    campaign = await _campaign(gql, await _list(unicrm_state, *people), perMinute=2)
    await _send(gql, campaign)

    await _run_jobs(unicrm_state)

    assert len(inbox.mails) == 2
    async with unicrm_state.db.session() as session:
        pending = await session.scalar(
            select(Job.run_at).where(Job.type == SEND_JOB, Job.status == "queued")
        )
    assert pending is not None and pending > utcnow()
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Job).where(Job.type == SEND_JOB).values(run_at=utcnow()))
    await _run_jobs(unicrm_state)
    assert len(inbox.mails) == 3
    async with unicrm_state.db.session() as session:
        assert (await session.scalar(select(Campaign.status))) is CampaignStatus.SENT


async def test_an_ab_test_splits_the_audience_and_the_open_rate_picks_the_winner(
    unicrm_state, gql, anonymous_client, inbox
):
    await _templates(unicrm_state, NEWS, NEWS_B)
    people = [await add_person(unicrm_state, f"P{i}", f"p{i}@example.co.th") for i in range(8)]
    campaign = await _campaign(
        gql, await _list(unicrm_state, *people), variantTemplateKey=NEWS_B.key
    )
    await _send(gql, campaign)
    await _run_jobs(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        for message in await session.scalars(select(Message)):
            message.sent_at -= timedelta(minutes=5)  # opened later than a scanner would

    subjects = [m["Subject"] for m in inbox.mails]
    assert any(s.startswith("Only for you") for s in subjects)
    assert any(s.startswith("News for") for s in subjects)
    for i, mail in enumerate(inbox.mails):
        if mail["Subject"].startswith("Only for you"):
            [pixel] = PIXEL.findall(inbox.html(i))
            await anonymous_client.get(pixel, headers=BROWSER)
            await anonymous_client.get(pixel, headers=BROWSER)  # a second open counts once

    data = await gql(STATS)
    [stats] = data["data"]["maCampaigns"]
    by_variant = {v["variant"]: v for v in stats["variants"]}
    assert by_variant["A"]["opened"] == 0
    assert by_variant["B"]["opened"] == by_variant["B"]["sent"] > 0
    assert by_variant["B"]["openRate"] == 1.0
    assert by_variant["A"]["recipients"] + by_variant["B"]["recipients"] == 8
    assert stats["winner"] == "B"


async def test_bad_campaigns_answer_typed_errors_and_write_nothing(unicrm_state, gql):
    await _templates(unicrm_state, NEWS)
    person = await add_person(unicrm_state, "Malee", "malee@example.co.th")
    segment = await _list(unicrm_state, person)
    cases = [
        ({"segmentId": to_global_id("Segment", uuid.uuid4())}, "segmentId", "NOT_FOUND"),
        ({"segmentId": customer_gid(person)}, "segmentId", "INVALID_ID"),
        ({"templateKey": "no-such-template"}, "templateKey", "NOT_FOUND"),
        ({"variantTemplateKey": NEWS.key}, "variantTemplateKey", "INVALID"),
        ({"perMinute": 0}, "perMinute", "INVALID"),
        ({"name": " "}, "name", "INVALID"),
        ({"channel": "pigeon"}, "channel", "INVALID"),
    ]
    for changes, field, code in cases:
        data = await gql(
            CREATE,
            {"input": {"name": "N", "segmentId": segment, "templateKey": NEWS.key, **changes}},
        )
        result = data["data"]["maCampaignCreate"]
        assert result["campaign"] is None, changes
        assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)
    assert await count(unicrm_state, Campaign) == 0

    for bad_id, code in (
        ("nope", "INVALID_ID"),
        (to_global_id("MaCampaign", uuid.uuid4()), "NOT_FOUND"),
    ):
        data = await gql(SCHEDULE, {"input": {"id": bad_id}})
        assert data["data"]["maCampaignSchedule"]["errors"][0]["code"] == code
    campaign = await _campaign(gql, segment)
    naive = await gql(SCHEDULE, {"input": {"id": campaign, "sendAt": "2030-01-01T00:00:00"}})
    assert naive["data"]["maCampaignSchedule"]["errors"][0]["code"] == "INVALID"
    assert await count(unicrm_state, Job, Job.type == SEND_JOB) == 0


async def test_the_numbers_of_a_page_of_campaigns_are_one_statement(unicrm_state, gql, inbox):
    await _templates(unicrm_state, NEWS, NEWS_B)
    people = [await add_person(unicrm_state, f"P{i}", f"p{i}@example.co.th") for i in range(4)]
    segment = await _list(unicrm_state, *people)
    for i in range(3):
        campaign = await _campaign(
            gql, segment, name=f"C{i}", variantTemplateKey=NEWS_B.key if i else None
        )
        await _send(gql, campaign)
    await _run_jobs(unicrm_state)

    with StatementCounter(unicrm_state) as counter:
        data = await gql(STATS)

    assert len(data["data"]["maCampaigns"]) == 3
    assert all(
        sum(v["recipients"] for v in c["variants"]) == 4 for c in data["data"]["maCampaigns"]
    )
    assert len([s for s in counter.statements if "ma_campaign_recipient" in s]) == 1
