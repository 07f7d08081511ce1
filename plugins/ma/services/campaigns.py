"""Campaigns: a core template sent to the members of a core segment or list.

Every message goes through core's ``send``, so the contact policy (consent, suppressions,
frequency caps, quiet hours) decides each recipient: a refused one is recorded ``blocked`` and
never sent. The sender key ``ma.campaign:<id>`` makes core's send idempotent per customer and
channel, and a recipient row is unique per campaign and customer: running a batch again, or
scheduling again, never sends anybody a second message. Sending runs in durable jobs, one
batch of ``per_minute`` recipients a minute. Messages get the open pixel and tracked links,
which feed the per-recipient opens and clicks; with a variant template the audience is split
in two (A/B) and the winner is the variant with the higher open (or click) rate.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Exists

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.jobs.queue import enqueue
from unicrm.core.messaging.models import Message, MessagePurpose, MessageStatus, MessageTemplate
from unicrm.core.messaging.services import channel_of, send
from unicrm.core.segments.models import Segment, SegmentMember
from unicrm.plugins.ma.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    EngagementKind,
    TrackingEvent,
)
from unicrm.plugins.ma.services.tracking import track_message

SEND_JOB = "ma.campaign_send"
BATCH_INTERVAL = timedelta(minutes=1)
MAX_PER_MINUTE = 10_000


@dataclass(frozen=True, slots=True)
class CampaignData:
    name: str
    segment_id: uuid.UUID
    template_key: str
    channel: str = "email"
    variant_template_key: str | None = None
    per_minute: int = 100


async def _template_errors(
    session: AsyncSession, key: str | None, channel: str, field: str
) -> list[FieldError]:
    if key is None:
        return []
    found = await session.scalar(
        select(MessageTemplate.id).where(
            MessageTemplate.key == key, MessageTemplate.channel == channel
        )
    )
    if found is None:
        return [FieldError("NOT_FOUND", f"no template {key!r} on {channel}", field)]
    return []


async def create_campaign(session: AsyncSession, data: CampaignData) -> Campaign:
    errors: list[FieldError] = []
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name has 1 to 200 characters", "name"))
    if not 1 <= data.per_minute <= MAX_PER_MINUTE:
        errors.append(
            FieldError("INVALID", f"1 to {MAX_PER_MINUTE} messages a minute", "per_minute")
        )
    if await session.get(Segment, data.segment_id) is None:
        errors.append(FieldError("NOT_FOUND", "no such segment or list", "segment_id"))
    try:
        channel = channel_of(data.channel).name
    except DomainError as error:
        errors += error.errors
    else:
        errors += await _template_errors(session, data.template_key, channel, "template_key")
        errors += await _template_errors(
            session, data.variant_template_key, channel, "variant_template_key"
        )
        if data.variant_template_key == data.template_key:
            errors.append(
                FieldError("INVALID", "the variant is another template", "variant_template_key")
            )
    if errors:
        raise DomainError(*errors)
    campaign = Campaign(
        id=uuid7(),
        name=data.name.strip(),
        segment_id=data.segment_id,
        channel=channel,
        template_key=data.template_key,
        variant_template_key=data.variant_template_key,
        per_minute=data.per_minute,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def _campaign(session: AsyncSession, campaign_id: uuid.UUID) -> Campaign:
    campaign = await session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None:
        raise DomainError.single("NOT_FOUND", "no such campaign", "id")
    return campaign


async def schedule(
    session: AsyncSession, campaign_id: uuid.UUID, send_at: datetime | None = None
) -> Campaign:
    """Send a draft campaign at ``send_at`` (now when None); only a draft is scheduled."""
    campaign = await _campaign(session, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        raise DomainError.single(
            "NOT_DRAFT", f"the campaign is {campaign.status.value}; only drafts are sent", "id"
        )
    if send_at is not None and send_at.tzinfo is None:
        raise DomainError.single("INVALID", "send_at needs a time zone", "send_at")
    if campaign.segment_id is None:
        raise DomainError.single("NOT_FOUND", "the campaign's segment was deleted", "id")
    campaign.status = CampaignStatus.SCHEDULED
    campaign.send_at = send_at or utcnow()
    await enqueue(
        session,
        SEND_JOB,
        {"campaign_id": str(campaign.id), "batch": 0},
        run_at=campaign.send_at,
        unique_key=f"ma.campaign:{campaign.id}:0",
    )
    await session.flush()
    return campaign


def variant_of(campaign: Campaign, customer_id: uuid.UUID) -> str:
    """A stable half of the audience gets the variant: the same customer, the same variant."""
    if campaign.variant_template_key is None:
        return "A"
    digest = hashlib.sha256(campaign.id.bytes + customer_id.bytes).digest()
    return "B" if digest[0] & 1 else "A"


async def _send_one(session: AsyncSession, campaign: Campaign, customer_id: uuid.UUID) -> None:
    variant = variant_of(campaign, customer_id)
    template = campaign.template_key if variant == "A" else campaign.variant_template_key
    recipient = CampaignRecipient(
        id=uuid7(), campaign_id=campaign.id, customer_id=customer_id, variant=variant
    )
    try:
        async with session.begin_nested():
            message = await send(
                session,
                customer_id=customer_id,
                channel=campaign.channel,
                purpose=MessagePurpose.MARKETING,
                template=template or campaign.template_key,
                sender_key=f"ma.campaign:{campaign.id}",
            )
            if message.status is MessageStatus.QUEUED and message.html_body is not None:
                await track_message(session, message)
    except DomainError as error:
        recipient.outcome, recipient.reason = "failed", str(error)[:500]
    else:
        recipient.message_id = message.id
        recipient.outcome = message.status.value
        recipient.reason = message.reason
    session.add(recipient)


async def send_batch(job: JobRun, session: AsyncSession) -> None:
    """The send job: the next ``per_minute`` members without a recipient row, then the next
    batch a minute later, until every member has one."""
    campaign = await session.get(
        Campaign, uuid.UUID(job.payload["campaign_id"]), with_for_update=True
    )
    if campaign is None or campaign.status not in (
        CampaignStatus.SCHEDULED,
        CampaignStatus.SENDING,
    ):
        return
    campaign.status = CampaignStatus.SENDING
    done = select(CampaignRecipient.id).where(
        CampaignRecipient.campaign_id == campaign.id,
        CampaignRecipient.customer_id == SegmentMember.customer_id,
    )
    members = list(
        await session.scalars(
            select(SegmentMember.customer_id)
            .where(SegmentMember.segment_id == campaign.segment_id, ~done.exists())
            .order_by(SegmentMember.customer_id)
            .limit(campaign.per_minute)
        )
    )
    for customer_id in members:
        await _send_one(session, campaign, customer_id)
    if len(members) < campaign.per_minute:
        campaign.status = CampaignStatus.SENT
    else:
        batch = int(job.payload.get("batch", 0)) + 1
        await enqueue(
            session,
            SEND_JOB,
            {"campaign_id": str(campaign.id), "batch": batch},
            run_at=utcnow() + BATCH_INTERVAL,
            unique_key=f"ma.campaign:{campaign.id}:{batch}",
        )
    await session.flush()


@dataclass(frozen=True, slots=True)
class VariantStats:
    variant: str
    recipients: int
    sent: int
    blocked: int
    opened: int
    clicked: int

    @property
    def open_rate(self) -> float:
        return self.opened / self.sent if self.sent else 0.0

    @property
    def click_rate(self) -> float:
        return self.clicked / self.sent if self.sent else 0.0


SENT_STATUSES = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.OPENED,
    MessageStatus.CLICKED,
    MessageStatus.UNSUBSCRIBED,
)


def _engaged(kind: EngagementKind) -> Exists:
    """Recipients with a person's (not a bot's) hit of ``kind`` on their message."""
    return (
        select(TrackingEvent.id)
        .where(
            TrackingEvent.message_id == CampaignRecipient.message_id,
            TrackingEvent.kind == kind,
            TrackingEvent.bot.is_(False),
        )
        .exists()
    )


async def stats(
    session: AsyncSession, campaign_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[VariantStats]]:
    """Per campaign and variant: recipients, sent, blocked, unique opens and clicks (bots not
    counted), in one statement for all the campaigns."""
    sent = Message.status.in_(SENT_STATUSES)
    rows = await session.execute(
        select(
            CampaignRecipient.campaign_id,
            CampaignRecipient.variant,
            func.count(),
            func.count().filter(sent),
            func.count().filter(CampaignRecipient.outcome == MessageStatus.BLOCKED.value),
            func.count().filter(and_(sent, _engaged(EngagementKind.EMAIL_OPEN))),
            func.count().filter(and_(sent, _engaged(EngagementKind.EMAIL_CLICK))),
        )
        .outerjoin(Message, Message.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id.in_(campaign_ids))
        .group_by(CampaignRecipient.campaign_id, CampaignRecipient.variant)
        .order_by(CampaignRecipient.campaign_id, CampaignRecipient.variant)
    )
    found: dict[uuid.UUID, list[VariantStats]] = {}
    for campaign_id, variant, *counts in rows.all():
        found.setdefault(campaign_id, []).append(VariantStats(variant, *counts))
    return found


def winner(variants: list[VariantStats], by_clicks: bool = False) -> str | None:
    """The variant with the higher open (or click) rate; None without two variants or a tie."""
    if len(variants) < 2:
        return None
    rate = (lambda v: v.click_rate) if by_clicks else (lambda v: v.open_rate)
    a, b = sorted(variants, key=lambda v: v.variant)[:2]
    if rate(a) == rate(b):
        return None
    return a.variant if rate(a) > rate(b) else b.variant
