"""Demo data for ``unicrm demo``: a scoring model, a demo-request form, visitors who browsed
the site (some hits by scanners, flagged) and filled the form in, scored by the model, and a
draft newsletter campaign."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.core.messaging.models import MessageTemplate
from unicrm.core.messaging.services import TemplateData, create_template
from unicrm.core.segments.models import Segment
from unicrm.plugins.ma.models import (
    Campaign,
    EngagementKind,
    Form,
    FormSubmission,
    LeadScore,
    TrackingEvent,
    Visitor,
)
from unicrm.plugins.ma.services.campaigns import CampaignData, create_campaign
from unicrm.plugins.ma.services.forms import ConsentSpec, FieldSpec, FormData, create_form
from unicrm.plugins.ma.services.scoring import (
    ModelData,
    RuleSpec,
    active_model,
    save_model,
    score_customer,
)

PAGES = (
    "https://shop.example.co.th/",
    "https://shop.example.co.th/pricing",
    "https://shop.example.co.th/features",
    "https://shop.example.co.th/blog/line-oa-for-retail",
)
DEMO_FORM = FormData(
    key="demo-request",
    name="Request a demo",
    fields=(
        FieldSpec("work_email", "Work e-mail", "email", required=True),
        FieldSpec("given_name", "First name", "first_name", required=True),
        FieldSpec("mobile", "Mobile", "phone"),
        FieldSpec("team_size", "Team size"),
    ),
    consents=(ConsentSpec("news", "Send me news by e-mail", "marketing", "email"),),
    policy_version="2026-01",
)

DEMO_MODEL = ModelData(
    key="b2b",
    name="B2B prospects",
    threshold=60,
    half_life_days=30,
    rules=(
        RuleSpec("retail", "Retail business", "profile", 10, None, "industry", "EQ", "Retail"),
        RuleSpec(
            "pricing",
            "Viewed pricing",
            "behaviour",
            10,
            30,
            event="page_view",
            url_contains="/pricing",
        ),
        RuleSpec("pages", "Viewed a page", "behaviour", 2, 20, event="page_view"),
        RuleSpec("opened", "Opened an e-mail", "behaviour", 3, 15, event="email_open"),
        RuleSpec("clicked", "Clicked an e-mail", "behaviour", 5, 25, event="email_click"),
        RuleSpec("demo", "Asked for a demo", "behaviour", 30, event="form_submit"),
    ),
)
NEWSLETTER = TemplateData(
    key="ma-newsletter",
    channel="email",
    locale="th",
    subject="ข่าวสารประจำเดือนสำหรับคุณ{{ customer.first_name }}",
    text_body="ดูราคาแพ็กเกจใหม่: https://shop.example.co.th/pricing\n"
    "ยกเลิกการรับข่าวสาร: {{ unsubscribe_url }}",
    html_body="<html><body><p>สวัสดีคุณ{{ customer.first_name }}</p>"
    '<p><a href="https://shop.example.co.th/pricing">ดูราคาแพ็กเกจใหม่</a></p>'
    '<p><a href="{{ unsubscribe_url }}">ยกเลิกการรับข่าวสาร</a></p></body></html>',
)


async def _draft_campaign(session: AsyncSession) -> None:
    """A draft newsletter to the first segment, once (sending it is the demo's to do)."""
    segment_id = await session.scalar(select(Segment.id).order_by(Segment.created_at).limit(1))
    if segment_id is None or await session.scalar(select(Campaign.id).limit(1)) is not None:
        return
    known = select(MessageTemplate.id).where(MessageTemplate.key == NEWSLETTER.key)
    if await session.scalar(known) is None:
        await create_template(session, NEWSLETTER)
    await create_campaign(
        session,
        CampaignData(name="Monthly newsletter", segment_id=segment_id, template_key=NEWSLETTER.key),
    )


async def _form(session: AsyncSession) -> Form:
    found = await session.scalar(select(Form).where(Form.key == DEMO_FORM.key))
    return found if found is not None else await create_form(session, DEMO_FORM)


def _browsing(
    rng: random.Random, customer_id: object, form: Form
) -> list[Visitor | TrackingEvent | FormSubmission]:
    now = utcnow()
    visitor = Visitor(id=uuid7(), customer_id=customer_id, first_seen_at=now, last_seen_at=now)
    rows: list[Visitor | TrackingEvent | FormSubmission] = [visitor]
    for _ in range(rng.randint(1, 6)):
        bot = rng.random() < 0.15
        rows.append(
            TrackingEvent(
                kind=EngagementKind.PAGE_VIEW,
                visitor_id=visitor.id,
                customer_id=customer_id,
                url=rng.choice(PAGES),
                bot=bot,
                bot_reason="automated user agent" if bot else None,
                occurred_at=now - timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 600)),
            )
        )
    if rng.random() < 0.5:
        submitted = now - timedelta(days=rng.randint(0, 30))
        rows.append(
            FormSubmission(
                form_id=form.id,
                customer_id=customer_id,
                visitor_id=visitor.id,
                answers={"team_size": str(rng.choice((5, 20, 80, 300)))},
                consents=[],
                outcome="updated",
                submitted_at=submitted,
            )
        )
        rows.append(
            TrackingEvent(
                kind=EngagementKind.FORM_SUBMIT,
                visitor_id=visitor.id,
                customer_id=customer_id,
                name=form.key,
                occurred_at=submitted,
            )
        )
    return rows


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    """Give half the customers without a score site visits (some by bots) and perhaps a form
    fill, then score them under the active model (a B2B model is made active when none is):
    their scores, explanations and qualifications are real."""
    if await active_model(session) is None:
        await save_model(session, DEMO_MODEL)
    form = await _form(session)
    customer_ids = (
        await session.scalars(
            select(Customer.id)
            .where(~select(LeadScore.id).where(LeadScore.customer_id == Customer.id).exists())
            .order_by(Customer.id.desc())
            .limit(size)
        )
    ).all()
    if not customer_ids:
        return
    chosen = rng.sample(customer_ids, k=min(len(customer_ids), max(2, len(customer_ids) // 2)))
    browsing = [_browsing(rng, customer_id, form) for customer_id in chosen]
    session.add_all(rows[0] for rows in browsing)  # the visitors, before their hits
    await session.flush()
    session.add_all(row for rows in browsing for row in rows[1:])
    await session.flush()
    for customer_id in chosen:
        await score_customer(session, customer_id)
    await _draft_campaign(session)
