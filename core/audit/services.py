"""Writing audit entries and reading them back.

``record`` is the one way to write the log: one INSERT in the caller's session, so an entry
commits or rolls back with the change it describes. Callers pass ids, names, codes and counts,
never the values of secrets or personal data (no passwords, tokens, e-mails, phones, inputs).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opentelemetry import trace
from sqlalchemy import Select, exists, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from unicrm.core.audit.models import AuditEntry
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.context import Actor
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id, to_global_id
from unicrm.core.graph.pagination import Page, PageRequest, paginate

ACTOR_TYPES = {"user": "User", "api_key": "ApiKey"}
"""The node type behind an actor's id, by actor kind; other kinds keep ``user_id`` as text."""

ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
MAX_ACTION = 50
MAX_TARGETS = 100
MAX_TEXT = 200


def actor_id(actor: Actor) -> str | None:
    """The id an entry stores for ``actor``: a global id (``User:…``, ``ApiKey:…``) when it
    has a uuid; an API key's comes from its subject (``apikey:<uuid>``)."""
    identifier = actor.user_id
    if identifier is None and actor.kind == "api_key":
        try:
            identifier = uuid.UUID(actor.subject.partition(":")[2])
        except ValueError:
            return None
    if identifier is None:
        return None
    if isinstance(identifier, uuid.UUID):
        return to_global_id(ACTOR_TYPES.get(actor.kind, "User"), identifier)
    return str(identifier)[:MAX_TEXT]


def current_trace_id() -> str | None:
    """The 32-hex trace id of the current OpenTelemetry span, if one is recording context."""
    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid else None


def _slug(department: DepartmentInfo | str | None) -> str | None:
    return department.slug if isinstance(department, DepartmentInfo) else department


def _clip(value: str | None) -> str | None:
    return None if value is None else value[:MAX_TEXT]


async def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    department: DepartmentInfo | str | None,
    targets: Iterable[str] = (),
    operation: str | None = None,
    field: str | None = None,
    outcome: str = "ok",
    details: dict[str, Any] | None = None,
    client_address: str | None = None,
    trace_id: str | None = None,
) -> uuid.UUID:
    """Append one entry in ``session``'s transaction and return its id.

    ``action`` is a dotted lowercase name (``auth.login``, ``mutation``, ``merge``);
    ``targets`` are global ids of the objects acted on; ``outcome`` is ``"ok"`` or error codes;
    ``details`` holds codes, counts and names only. The trace id defaults to the current span's.
    """
    if len(action) > MAX_ACTION or not ACTION.fullmatch(action):
        raise ValueError(f"audit action {action!r} is not a dotted lowercase name")
    entry_id = uuid7()
    await session.execute(
        insert(AuditEntry).values(
            id=entry_id,
            at=utcnow(),
            actor_kind=actor.kind,
            actor_id=actor_id(actor),
            actor_name=_clip(actor.name) or "",
            department=_slug(department),
            action=action,
            operation=_clip(operation),
            field=_clip(field),
            targets=list(dict.fromkeys(targets))[:MAX_TARGETS],
            client_address=_clip(client_address),
            trace_id=trace_id or current_trace_id(),
            outcome=_clip(outcome) or "ok",
            details=details,
        )
    )
    return entry_id


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What ``filtered`` keeps; every set criterion must hold."""

    actor_id: str | None = None
    action: str | None = None
    department: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def check(self) -> AuditFilter:
        """The filter itself, or a ``DomainError`` naming each bad criterion."""
        errors = []
        for name, value in (("actorId", self.actor_id), ("targetId", self.target_id)):
            if value is not None:
                try:
                    from_global_id(value)
                except InvalidGlobalId:
                    errors.append(FieldError("INVALID_ID", f"{name} is not a valid id", name))
        if self.action is not None and (
            len(self.action) > MAX_ACTION or not ACTION.fullmatch(self.action)
        ):
            errors.append(FieldError("INVALID", "action must be a dotted lowercase name", "action"))
        for name, moment in (("from", self.since), ("to", self.until)):
            if moment is not None and moment.tzinfo is None:
                errors.append(FieldError("INVALID", f"{name} needs a time zone offset", name))
        if (
            not errors
            and self.since is not None
            and self.until is not None
            and self.since > self.until
        ):
            errors.append(FieldError("INVALID", "from must not be later than to", "from"))
        if errors:
            raise DomainError(*errors)
        return self


def _targets_contain(target_id: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return AuditEntry.targets.cast(JSONB).contains([target_id])
    each = func.json_each(AuditEntry.targets).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == target_id))


def filtered(where: AuditFilter, dialect: str) -> Select[tuple[AuditEntry]]:
    """Entries matching ``where`` (checked), unordered; the caller pages them."""
    where.check()
    stmt = select(AuditEntry)
    if where.actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == where.actor_id)
    if where.action is not None:
        stmt = stmt.where(AuditEntry.action == where.action)
    if where.department is not None:
        stmt = stmt.where(AuditEntry.department == where.department)
    if where.target_id is not None:
        stmt = stmt.where(_targets_contain(where.target_id, dialect))
    if where.since is not None:
        stmt = stmt.where(AuditEntry.at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditEntry.at < where.until)
    return stmt


async def list_entries(
    session: AsyncSession, where: AuditFilter, page: PageRequest, *, max_page_size: int
) -> Page[AuditEntry]:
    """One keyset page of the entries matching ``where``, newest first."""
    dialect = session.get_bind().dialect.name
    return await paginate(
        session,
        filtered(where, dialect),
        keys=[AuditEntry.at, AuditEntry.id],
        page=page,
        max_page_size=max_page_size,
        descending=True,
        key_of=lambda row: (row.at, row.id),
    )
