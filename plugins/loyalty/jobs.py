"""Loyalty's durable jobs: point expiry, upcoming-expiry notices, tier review, reconciliation,
birthday coupons.

Each is safe to re-run: expiry takes only what is left in expired lots, a notice is recorded
once per member and expiry date, and the review and the check change nothing twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.events.outbox import emit
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.plugins.loyalty.events import PointsExpiring
from unicrm.plugins.loyalty.models import (
    EntryKind,
    ExpiryNotice,
    Member,
    PointsLot,
    Program,
    Reconciliation,
)
from unicrm.plugins.loyalty.services import coupons, ledger, tiers

log = logging.getLogger(__name__)


async def expire_points(session: AsyncSession, zone: ZoneInfo, now: datetime | None = None) -> int:
    """Expire what is left of every lot past its expiry; return the points expired."""
    now = now or utcnow()
    due = (
        (
            await session.execute(
                select(PointsLot.member_id)
                .where(PointsLot.expires_at <= now, PointsLot.remaining > 0)
                .group_by(PointsLot.member_id)
            )
        )
        .scalars()
        .all()
    )
    total = 0
    for member_id in sorted(due):
        member = await ledger.lock_member(session, member_id)
        if member is None:
            continue
        lots = (
            await session.scalars(
                select(PointsLot)
                .where(
                    PointsLot.member_id == member_id,
                    PointsLot.expires_at <= now,
                    PointsLot.remaining > 0,
                )
                .with_for_update()
            )
        ).all()
        points = sum(lot.remaining for lot in lots)
        points = min(points, max(member.points_balance, 0))
        if points <= 0:
            continue
        local = min(lot.expires_at for lot in lots if lot.expires_at).astimezone(zone)
        explanation = f"-{points:,} points: expired on {local:%d %b %Y}"
        await ledger.post(
            session,
            member,
            EntryKind.EXPIRE,
            -points,
            reason="expiry",
            source="job",
            explanation=explanation,
            zone=zone,
            first_lot=None,
            now=now,
        )
        ledger.note_on_timeline(session, member, "Points expired", explanation)
        total += points
    return total


async def send_expiry_notices(
    session: AsyncSession, zone: ZoneInfo, now: datetime | None = None
) -> int:
    """Emit ``loyalty.points_expiring`` once per member and expiry date within the program's
    notice period; messaging (or a webhook) turns it into an SMS or e-mail."""
    now = now or utcnow()
    rows = (
        await session.execute(
            select(PointsLot.member_id, PointsLot.expires_at, func.sum(PointsLot.remaining))
            .join(Member, Member.id == PointsLot.member_id)
            .join(Program, Program.id == Member.program_id)
            .where(
                PointsLot.remaining > 0,
                PointsLot.expires_at > now,
                PointsLot.expires_at <= now + timedelta(days=366),
            )
            .add_columns(Program.expiry_notice_days, Member.customer_id)
            .group_by(
                PointsLot.member_id,
                PointsLot.expires_at,
                Program.expiry_notice_days,
                Member.customer_id,
            )
        )
    ).all()
    sent = 0
    for member_id, expires_at, points, notice_days, customer_id in rows:
        if expires_at > now + timedelta(days=notice_days):
            continue
        key = {"member_id": member_id, "expires_at": expires_at}
        if not await insert_or_skip(
            session, ExpiryNotice, {**key, "points": int(points), "sent_at": now}, tuple(key)
        ):
            continue
        emit(
            session,
            "loyalty.points_expiring",
            PointsExpiring(
                member_id=str(member_id),
                points=int(points),
                expires_at=expires_at.astimezone(zone).isoformat(),
            ),
            customer_id=customer_id,
        )
        sent += 1
    return sent


async def review_tiers(session: AsyncSession, now: datetime | None = None) -> int:
    """Review every member's tier; return how many moved."""
    now = now or utcnow()
    moved = 0
    ids = (await session.scalars(select(Member.id).order_by(Member.id))).all()
    for member_id in ids:
        member = await ledger.lock_member(session, member_id)
        if member is not None and await tiers.review(session, member, now) is not None:
            moved += 1
    return moved


async def reconcile(session: AsyncSession) -> Reconciliation:
    """Compare every balance with its entries and lots, and every posting with zero; record
    the run (and log an error for a mismatch, which should never happen)."""
    checked, found = await ledger.mismatches(session)
    unbalanced = await ledger.unbalanced_postings(session)
    problems: dict[str, list] = defaultdict(list)
    for m in found:
        problems["members"].append(
            {
                "member_id": str(m.member_id),
                "balance": m.balance,
                "entries": m.entries,
                "lots": m.lots,
            }
        )
    problems["postings"] = [str(p) for p in unbalanced]
    mismatches = problems["members"] + [{"posting_id": p} for p in problems["postings"]]
    if mismatches:
        log.error("loyalty reconciliation found %d mismatches", len(mismatches))
    row = Reconciliation(
        id=uuid7(), run_at=utcnow(), members_checked=checked, mismatches=mismatches
    )
    session.add(row)
    await session.flush()
    return row


async def _birthday_job(job: JobRun, session: AsyncSession) -> None:
    await coupons.issue_birthday_coupons(session, job.app_settings.business_date())


async def _expire_job(job: JobRun, session: AsyncSession) -> None:
    await expire_points(session, job.app_settings.zone)


async def _notice_job(job: JobRun, session: AsyncSession) -> None:
    await send_expiry_notices(session, job.app_settings.zone)


async def _review_job(job: JobRun, session: AsyncSession) -> None:
    await review_tiers(session)


async def _reconcile_job(job: JobRun, session: AsyncSession) -> None:
    await reconcile(session)


JOB_TYPES = (
    JobType("loyalty.expire_points", _expire_job, max_attempts=3, backoff=60, timeout=600),
    JobType("loyalty.expiry_notices", _notice_job, max_attempts=3, backoff=60, timeout=600),
    JobType("loyalty.review_tiers", _review_job, max_attempts=3, backoff=300, timeout=1800),
    JobType("loyalty.reconcile", _reconcile_job, max_attempts=3, backoff=300, timeout=1800),
    JobType("loyalty.birthday_coupons", _birthday_job, max_attempts=3, backoff=300, timeout=1800),
)
SCHEDULES = (
    Schedule("loyalty.nightly_expiry", "5 0 * * *", job="loyalty.expire_points"),
    Schedule("loyalty.expiry_notices", "0 9 * * *", job="loyalty.expiry_notices"),
    Schedule("loyalty.monthly_tier_review", "30 0 1 * *", job="loyalty.review_tiers"),
    Schedule("loyalty.nightly_reconcile", "0 3 * * *", job="loyalty.reconcile"),
    Schedule("loyalty.birthday_coupons", "0 8 * * *", job="loyalty.birthday_coupons"),
)
