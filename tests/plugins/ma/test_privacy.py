"""MA's part of DSAR export, erasure and merge covers visitors, hits, submissions, scores."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from plugins.ma.support import add_person, count
from unicrm.core.db.ids import uuid7
from unicrm.core.graph.merge.journal import MergeJournal
from unicrm.core.segments.models import Segment, SegmentKind
from unicrm.plugins.ma.models import (
    Campaign,
    CampaignRecipient,
    EngagementKind,
    Form,
    FormSubmission,
    LeadScore,
    ScoreChange,
    TrackingEvent,
    Visitor,
)

TABLES = (Visitor, TrackingEvent, FormSubmission, LeadScore, ScoreChange)


async def _give_ma_rows(state, customer_id: uuid.UUID, form_id: uuid.UUID) -> None:
    async with state.db.transaction() as session:
        visitor = Visitor(id=uuid7(), customer_id=customer_id)
        session.add(visitor)
        await session.flush()
        session.add_all(
            [
                TrackingEvent(
                    kind=EngagementKind.PAGE_VIEW,
                    visitor_id=visitor.id,
                    customer_id=customer_id,
                    url="https://shop.test/secret-page",
                ),
                FormSubmission(
                    form_id=form_id,
                    customer_id=customer_id,
                    answers={"note": "call me at 0812345678"},
                    outcome="created",
                ),
                LeadScore(customer_id=customer_id, value=10),
                ScoreChange(
                    customer_id=customer_id,
                    model="b2b",
                    rule="pricing",
                    points=10,
                    reason="Viewed pricing",
                    source=f"event:{uuid7()}",
                ),
            ]
        )


async def _form(state) -> uuid.UUID:
    async with state.db.transaction() as session:
        form = Form(key="f", name="F", fields=[], consents=[])
        session.add(form)
        await session.flush()
        return form.id


async def test_export_lists_and_erase_deletes_every_ma_row_of_the_customer(unicrm_state):
    form = await _form(unicrm_state)
    somchai = await add_person(unicrm_state, "Somchai", None, consent=False)
    malee = await add_person(unicrm_state, "Malee", None, consent=False)
    await _give_ma_rows(unicrm_state, somchai, form)
    await _give_ma_rows(unicrm_state, malee, form)

    async with unicrm_state.db.session() as session:
        sections = await unicrm_state.manager.acall(
            "customer_export", only=["ma"], customer_id=somchai, session=session
        )
    exported = next(s for s in sections if "visitors" in s)
    assert {k: len(v) for k, v in exported.items()} == {
        "visitors": 1,
        "tracking_events": 1,
        "form_submissions": 1,
        "lead_scores": 1,
        "score_changes": 1,
    }
    assert exported["tracking_events"][0]["url"] == "https://shop.test/secret-page"
    assert exported["form_submissions"][0]["answers"] == {"note": "call me at 0812345678"}

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_erase", only=["ma"], customer_id=somchai, session=session
        )

    for model in TABLES:
        assert await count(unicrm_state, model, model.customer_id == somchai) == 0, model
        assert await count(unicrm_state, model, model.customer_id == malee) == 1, model


async def test_merge_gives_the_survivor_the_visitors_hits_and_submissions(unicrm_state):
    form = await _form(unicrm_state)
    source = await add_person(unicrm_state, "Source", None, consent=False)
    target = await add_person(unicrm_state, "Target", None, consent=False)
    await _give_ma_rows(unicrm_state, source, form)
    journal = MergeJournal(uuid7())

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_merge",
            only=["ma"],
            source_id=source,
            target_id=target,
            session=session,
            journal=journal,
        )

    for model in TABLES:
        async with unicrm_state.db.session() as session:
            owners = set(await session.scalars(select(model.customer_id)))
        assert owners == {target}, model
    moved = {e["table_name"] for e in journal.pending}
    assert {
        "ma_visitor",
        "ma_tracking_event",
        "ma_form_submission",
        "ma_lead_score",
        "ma_score_change",
    } <= moved


async def test_merge_keeps_the_survivors_receipt_of_a_campaign_both_got(unicrm_state):
    source = await add_person(unicrm_state, "Source", None, consent=False)
    target = await add_person(unicrm_state, "Target", None, consent=False)
    async with unicrm_state.db.transaction() as session:
        segment = Segment(name="All", kind=SegmentKind.STATIC)
        session.add(segment)
        await session.flush()
        both, only_source = (
            Campaign(name=n, segment_id=segment.id, channel="email", template_key="t")
            for n in ("Both", "Source only")
        )
        session.add_all([both, only_source])
        await session.flush()
        session.add_all(
            [
                CampaignRecipient(
                    campaign_id=both.id, customer_id=source, variant="A", outcome="queued"
                ),
                CampaignRecipient(
                    campaign_id=both.id, customer_id=target, variant="B", outcome="queued"
                ),
                CampaignRecipient(
                    campaign_id=only_source.id, customer_id=source, variant="A", outcome="blocked"
                ),
            ]
        )
    journal = MergeJournal(uuid7())

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_merge",
            only=["ma"],
            source_id=source,
            target_id=target,
            session=session,
            journal=journal,
        )

    async with unicrm_state.db.session() as session:
        rows = (
            await session.execute(
                select(Campaign.name, CampaignRecipient.customer_id, CampaignRecipient.variant)
                .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
                .order_by(Campaign.name)
            )
        ).all()
    assert rows == [("Both", target, "B"), ("Source only", target, "A")]
    assert [e["action"] for e in journal.pending if e["action"] == "DROPPED"] == ["DROPPED"]
