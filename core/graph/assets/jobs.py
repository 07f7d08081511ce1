"""The daily warranty reminder: ``asset.warranty_ending`` once per asset and threshold."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.events.outbox import emit
from unicrm.core.graph.assets.models import Asset, AssetStatus
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.core.jobs.queue import effect_once


def tightest(thresholds: Sequence[int], days_left: int) -> int:
    """The smallest threshold ``days_left`` has reached (``days_left <= threshold``)."""
    return min(t for t in thresholds if t >= days_left)


async def remind_warranties(
    session: AsyncSession, job_id: uuid.UUID, today: date, thresholds: Sequence[int]
) -> int:
    """Emit ``asset.warranty_ending`` for each active, owned asset whose warranty ends within a
    threshold of ``today``; return how many were emitted.

    An asset gets each threshold once: the threshold is recorded on the asset by a
    conditional UPDATE in the same transaction as the event, so a re-run, a late run that
    skipped days, or two overlapping runs announce it once. A late run announces only the
    tightest threshold reached.
    """
    widest = max(thresholds)
    rows = await session.execute(
        select(
            Asset.id,
            Asset.customer_id,
            Asset.product_id,
            Asset.serial_number,
            Asset.warranty_end,
            Asset.warranty_notice_days,
        )
        .where(
            Asset.status == AssetStatus.ACTIVE,
            Asset.customer_id.is_not(None),
            Asset.warranty_end >= today,
            Asset.warranty_end <= today + timedelta(days=widest),
        )
        .order_by(Asset.warranty_end, Asset.id)
    )
    sent = 0
    for row in rows.all():
        days_left = (row.warranty_end - today).days
        threshold = tightest(thresholds, days_left)
        if row.warranty_notice_days is not None and row.warranty_notice_days <= threshold:
            continue
        if not await effect_once(session, job_id, f"asset:{row.id}:{threshold}"):
            continue
        claimed = await session.execute(
            update(Asset)
            .where(
                Asset.id == row.id,
                Asset.warranty_end == row.warranty_end,
                or_(Asset.warranty_notice_days.is_(None), Asset.warranty_notice_days > threshold),
            )
            .values(warranty_notice_days=threshold)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        emit(
            session,
            "asset.warranty_ending",
            {
                "asset_id": str(row.id),
                "product_id": str(row.product_id),
                "serial_number": row.serial_number,
                "warranty_end": row.warranty_end.isoformat(),
                "threshold_days": threshold,
                "days_left": days_left,
            },
            customer_id=row.customer_id,
        )
        sent += 1
    return sent


def job_day_and_thresholds(job: JobRun, configured: str) -> tuple[date, list[int]]:
    """The business day a reminder job runs for and its thresholds: ``today`` and ``days``
    from the payload (a manual run), else today in the business time zone and the setting
    ``assets.<configured>``."""
    settings = job.app_settings
    given = job.payload.get("today")
    today = date.fromisoformat(given) if given else settings.business_date()
    days = job.payload.get("days") or getattr(settings.assets, configured)
    return today, [int(d) for d in days]


async def warranty_reminders(job: JobRun, session: AsyncSession) -> None:
    today, thresholds = job_day_and_thresholds(job, "warranty_notice_days")
    await remind_warranties(session, job.id, today, thresholds)


JOB_TYPES = (JobType("core.asset_warranty_reminders", warranty_reminders, max_attempts=5),)
SCHEDULES = (
    Schedule("core.asset_warranty_reminders", "0 8 * * *", job="core.asset_warranty_reminders"),
)
