"""NPS surveys: "how likely are you to recommend us?", 0-10, sent to the members of a segment
by a durable job (each customer at most once per ``quiet_days``), answered once through a
signed link, and reported as promoters (9-10), passives (7-8), detractors (0-6) and the Net
Promoter Score (% promoters - % detractors) per period, for everyone or a segment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.jobs.queue import enqueue
from unicrm.core.segments.models import Segment, SegmentMember
from unicrm.plugins.crm import events
from unicrm.plugins.crm.models import NpsSurvey
from unicrm.plugins.crm.services import outbound, surveys
from unicrm.plugins.crm.services.voc import MAX_BUCKETS, edges

SEND_JOB = "crm.nps_send"
SEND_BATCH = 500
NPS_SCALE = range(0, 11)
MAX_QUIET_DAYS = 3650


async def schedule_send(session: AsyncSession, segment_id: uuid.UUID, quiet_days: int) -> None:
    """Check the request and enqueue the sending job (it runs after the caller commits)."""
    if not 0 <= quiet_days <= MAX_QUIET_DAYS:
        raise DomainError.single(
            "INVALID", f"from 0 to {MAX_QUIET_DAYS} days between two surveys", "quiet_days"
        )
    if await session.get(Segment, segment_id) is None:
        raise DomainError.single("NOT_FOUND", "no such segment", "segment_id")
    await enqueue(
        session,
        SEND_JOB,
        {"segment_id": str(segment_id), "quiet_days": quiet_days, "since": utcnow().isoformat()},
    )


async def send_batch(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Survey up to ``limit`` members of the segment (in id order after ``after``) who got
    no NPS survey in the quiet period; enqueue the next batch when more may follow."""
    segment_id = uuid.UUID(payload["segment_id"])
    limit = int(payload.get("limit", SEND_BATCH))
    quiet_from = datetime.fromisoformat(payload["since"]) - timedelta(days=payload["quiet_days"])
    stmt = (
        select(SegmentMember.customer_id)
        .where(SegmentMember.segment_id == segment_id)
        .order_by(SegmentMember.customer_id)
        .limit(limit)
    )
    if payload.get("after"):
        stmt = stmt.where(SegmentMember.customer_id > uuid.UUID(payload["after"]))
    members = list(await session.scalars(stmt))
    recent = select(NpsSurvey.customer_id).where(
        NpsSurvey.customer_id.in_(members), NpsSurvey.created_at >= quiet_from
    )
    surveyed = set(await session.scalars(recent))
    for customer_id in members:
        if customer_id in surveyed:
            continue
        survey = NpsSurvey(id=uuid7(), customer_id=customer_id, created_at=utcnow())
        session.add(survey)
        await session.flush()
        await outbound.send_nps(session, survey)
    if len(members) == limit:
        await enqueue(session, SEND_JOB, {**payload, "after": str(members[-1])})


async def answer(
    session: AsyncSession, secret: str, token: str, score: int, comment: str | None
) -> NpsSurvey:
    """Record the customer's answer (0-10) once, with its event and timeline entry."""
    survey = await surveys.claim(session, NpsSurvey, secret, token, score, comment, NPS_SCALE)
    assert isinstance(survey, NpsSurvey)
    emit(
        session,
        events.NPS_ANSWERED,
        events.NpsAnswered(score=score, group=group_of(score)),
        customer_id=survey.customer_id,
    )
    add_entry(
        session,
        survey.customer_id,
        "crm.nps_answered",
        f"Would recommend us: {score}/10",
        summary=survey.comment,
        data={"score": score},
        occurred_at=survey.answered_at,
        ref_type="NpsSurvey",
        ref_id=survey.id,
    )
    return survey


def group_of(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@dataclass(frozen=True, slots=True)
class NpsCounts:
    answers: int
    promoters: int
    detractors: int

    @property
    def passives(self) -> int:
        return self.answers - self.promoters - self.detractors

    @property
    def score(self) -> float | None:
        """% promoters - % detractors (-100 to 100); None without answers."""
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers, 1)


@dataclass(frozen=True, slots=True)
class NpsPeriod:
    since: datetime
    until: datetime
    counts: NpsCounts


async def report(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    buckets: int,
    segment_id: uuid.UUID | None,
) -> tuple[NpsCounts, list[NpsPeriod]]:
    """The answers given in [since, until), in total and in ``buckets`` equal periods,
    of everyone or of the current members of a segment; one statement."""
    errors = []
    if until <= since:
        errors.append(FieldError("INVALID", "the period ends after it starts", "until"))
    if not 1 <= buckets <= MAX_BUCKETS:
        errors.append(FieldError("INVALID", f"from 1 to {MAX_BUCKETS} periods", "buckets"))
    if errors:
        raise DomainError(*errors)
    bounds = edges(since, until, buckets)
    inner = bounds[1:-1]
    bucket = (
        case(*[(NpsSurvey.answered_at < b, i) for i, b in enumerate(inner)], else_=buckets - 1)
        if inner
        else literal(0)
    ).label("bucket")
    stmt = select(
        bucket,
        func.count(),
        func.sum(case((NpsSurvey.score >= 9, 1), else_=0)),
        func.sum(case((NpsSurvey.score <= 6, 1), else_=0)),
    ).where(NpsSurvey.answered_at >= since, NpsSurvey.answered_at < until)
    if segment_id is not None:
        stmt = stmt.where(
            exists().where(
                SegmentMember.segment_id == segment_id,
                SegmentMember.customer_id == NpsSurvey.customer_id,
            )
        )
    found = {
        row[0]: NpsCounts(int(row[1]), int(row[2] or 0), int(row[3] or 0))
        for row in await session.execute(stmt.group_by(bucket))
    }
    periods = [
        NpsPeriod(bounds[i], bounds[i + 1], found.get(i, NpsCounts(0, 0, 0)))
        for i in range(buckets)
    ]
    total = NpsCounts(
        sum(p.counts.answers for p in periods),
        sum(p.counts.promoters for p in periods),
        sum(p.counts.detractors for p in periods),
    )
    return total, periods
