"""The daily contract run: start pending contracts, renew or expire ended ones, and announce
renewals due (``contract.renewal_due`` once per contract period and threshold)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.events.outbox import emit
from unicrm.core.graph.assets.jobs import job_day_and_thresholds, tightest
from unicrm.core.graph.contracts.models import Contract, ContractStatus
from unicrm.core.graph.contracts.services import record_status, renew
from unicrm.core.jobs.contracts import JobRun, JobType, Schedule
from unicrm.core.jobs.queue import effect_once

MAX_RENEWALS = 120
"""Periods one run may add to a contract that missed many (a monthly plan ten years late)."""


@dataclass
class RunSummary:
    started: int = 0
    renewed: int = 0
    expired: int = 0
    reminded: int = 0


async def _due(session: AsyncSession, *where: object) -> list[Contract]:
    stmt = select(Contract).where(*where).order_by(Contract.id).with_for_update()
    return list((await session.scalars(stmt)).all())


async def run_contracts(
    session: AsyncSession, job_id: uuid.UUID, today: date, thresholds: Sequence[int]
) -> RunSummary:
    """Bring every contract's status up to ``today`` and send the renewal reminders due.

    Each change is an effect of the job (``effect_once``), so a re-run of the same job changes
    nothing twice; a later run finds the contracts already in their new status.
    """
    summary = RunSummary()
    active, pending = ContractStatus.ACTIVE, ContractStatus.PENDING
    for contract in await _due(session, Contract.status == pending, Contract.start_date <= today):
        if await effect_once(session, job_id, f"start:{contract.id}"):
            record_status(session, contract, active, "started")
            summary.started += 1
    ended = (Contract.status == active, Contract.end_date < today)
    for contract in await _due(session, *ended, Contract.auto_renew.is_(True)):
        for _ in range(MAX_RENEWALS):
            if not await effect_once(session, job_id, f"renew:{contract.id}"):
                break
            contract = await renew(session, contract, "auto-renewed")
            summary.renewed += 1
            assert contract.end_date is not None
            if contract.end_date >= today:
                break
    for contract in await _due(session, *ended, Contract.auto_renew.is_(False)):
        if await effect_once(session, job_id, f"expire:{contract.id}"):
            record_status(session, contract, ContractStatus.EXPIRED, "ended")
            summary.expired += 1
    await session.flush()
    summary.reminded = await _remind(session, job_id, today, thresholds)
    return summary


async def _remind(
    session: AsyncSession, job_id: uuid.UUID, today: date, thresholds: Sequence[int]
) -> int:
    due = func.coalesce(Contract.renewal_date, Contract.end_date)
    rows = await session.execute(
        select(Contract, due.label("due"))
        .where(
            Contract.status == ContractStatus.ACTIVE,
            Contract.customer_id.is_not(None),
            due >= today,
            due <= today + timedelta(days=max(thresholds)),
        )
        .order_by(due, Contract.id)
    )
    sent = 0
    for contract, day in rows.all():
        days_left = (day - today).days
        threshold = tightest(thresholds, days_left)
        if contract.renewal_notice_days is not None and contract.renewal_notice_days <= threshold:
            continue
        if not await effect_once(session, job_id, f"remind:{contract.id}:{threshold}"):
            continue
        claimed = await session.execute(
            update(Contract)
            .where(
                Contract.id == contract.id,
                or_(
                    Contract.renewal_notice_days.is_(None),
                    Contract.renewal_notice_days > threshold,
                ),
            )
            .values(renewal_notice_days=threshold)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        emit(
            session,
            "contract.renewal_due",
            {
                "contract_id": str(contract.id),
                "kind": contract.kind.value,
                "name": contract.name,
                "renewal_date": day.isoformat(),
                "auto_renew": contract.auto_renew,
                "threshold_days": threshold,
                "days_left": days_left,
            },
            customer_id=contract.customer_id,
        )
        sent += 1
    return sent


async def contract_run(job: JobRun, session: AsyncSession) -> None:
    today, thresholds = job_day_and_thresholds(job, "renewal_notice_days")
    await run_contracts(session, job.id, today, thresholds)


JOB_TYPES = (JobType("core.contract_daily_run", contract_run, max_attempts=5),)
SCHEDULES = (Schedule("core.contract_daily_run", "15 0 * * *", job="core.contract_daily_run"),)
