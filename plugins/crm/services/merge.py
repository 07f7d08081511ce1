"""Merging duplicate cases: the duplicate's conversation, attachments, status history and
visits move to the surviving case; the duplicate is closed and points to the survivor; the
merge is audited and announced (``crm.case_merged``)."""

from __future__ import annotations

import uuid
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.audit.services import record
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.context import Actor
from unicrm.core.graph.ids import to_global_id
from unicrm.plugins.crm import events
from unicrm.plugins.crm.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseMessageKind,
    CaseStatus,
    CaseStatusChange,
    TechnicianVisit,
)
from unicrm.plugins.crm.services import cases

MOVED = (CaseMessage, CaseAttachment, CaseStatusChange, TechnicianVisit)


async def _move_rows(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """Re-point every row of the duplicate at the survivor; the number of messages moved."""
    moved = 0
    for model in MOVED:
        done = cast(
            "CursorResult[Any]",
            await session.execute(
                update(model)
                .where(model.case_id == source)
                .values(case_id=target)
                .execution_options(synchronize_session=False)
            ),
        )
        if model is CaseMessage:
            moved = done.rowcount
    return moved


async def merge_cases(
    session: AsyncSession,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    zone: ZoneInfo,
    scope: ColumnElement[bool] | None = None,
) -> Case:
    """Merge the duplicate ``source_id`` into ``target_id``; return the survivor.

    Both cases belong to the same customer and are not closed; the actor may change both.
    """
    if source_id == target_id:
        raise DomainError.single("SAME_CASE", "a case cannot be merged into itself", "target_id")
    first, second = sorted((source_id, target_id))  # one lock order against deadlocks
    locked = {
        first: await cases.get_case(session, first, scope, field_name=_field(first, source_id)),
        second: await cases.get_case(session, second, scope, field_name=_field(second, source_id)),
    }
    source, target = locked[source_id], locked[target_id]
    for case, field in ((source, "source_id"), (target, "target_id")):
        if case.status is CaseStatus.CLOSED:
            raise DomainError.single("CASE_CLOSED", "a closed case cannot be merged", field)
    if source.customer_id != target.customer_id:
        raise DomainError.single(
            "DIFFERENT_CUSTOMER", "only cases of the same customer can be merged", "target_id"
        )
    await session.flush()
    moved = await _move_rows(session, source.id, target.id)
    session.expire_all()
    source = await cases.get_case(session, source_id, field_name="source_id")
    target = await cases.get_case(session, target_id, field_name="target_id")
    now = utcnow()
    if target.first_response_at is None:
        target.first_response_at = source.first_response_at
    source.merged_into_id = target.id
    await cases.move(session, source, CaseStatus.CLOSED, now, zone)
    source_gid, target_gid = to_global_id("Case", source.id), to_global_id("Case", target.id)
    await cases.add_message(
        session,
        target.id,
        CaseMessageKind.NOTE,
        f"Merged the duplicate case {source_gid} ({source.subject}): {moved} messages moved.",
        reopen_days=0,
        zone=zone,
    )
    emit(
        session,
        events.CASE_MERGED,
        events.CaseMerged(case_id=source_gid, into_case_id=target_gid, moved_messages=moved),
        customer_id=target.customer_id,
    )
    actor = session.info.get("actor")
    await record(
        session,
        actor=actor if isinstance(actor, Actor) else Actor.system(),
        action="crm.case_merge",
        department=session.info.get("department"),
        targets=[source_gid, target_gid],
        details={"moved_messages": moved},
    )
    return target


def _field(case_id: uuid.UUID, source_id: uuid.UUID) -> str:
    return "source_id" if case_id == source_id else "target_id"
