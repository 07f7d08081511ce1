"""Why a request is allowed (explain) and who can do something (access review).

The review asks, for every user and API key that holds a role, the same question a request
asks: for a schema coordinate that is the field's full requirement (its type's permission, no
deny on it, and for personal data ``read`` or ``read_masked`` on it or its PII class), so the
answer says whether values come in clear or masked.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.access import READ, READ_MASKED, Access, Decision
from unicrm.core.authz.admin import check_department
from unicrm.core.authz.enforcer import Explanation
from unicrm.core.authz.store import vocabulary
from unicrm.core.errors import DomainError
from unicrm.core.graph.users.models import User

if TYPE_CHECKING:
    from unicrm.core.state import AppState

REVIEW_HEADER = (
    "subject",
    "user",
    "department",
    "object",
    "action",
    "decision",
    "via",
    "rule",
    "scope",
)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    subject: str
    user: str | None
    department: str
    obj: str
    action: str
    decision: str
    explanation: Explanation
    scope: str | None


def _check_object(state: AppState, obj: str, action: str) -> None:
    problem = vocabulary(state).problem(obj, action)
    if problem is not None:
        field = "action" if problem[0] == "UNKNOWN_ACTION" else "object"
        raise DomainError.single(problem[0], problem[1], field)


async def explain(
    state: AppState, session: AsyncSession, subject: str, department: str, obj: str, action: str
) -> Explanation:
    await check_department(session, department)
    _check_object(state, obj, action)
    return state.authz.explain(subject, department, obj, action)


def _decide(
    state: AppState, subject: str, department: str, obj: str, action: str
) -> tuple[Decision, Explanation]:
    authz = state.authz
    requirement = None
    if action == READ and state.schema_factory is not None:
        schema = state.schema_for(frozenset(state.registry.installed))
        requirement = schema.requirements.by_coordinate.get(obj)
    if requirement is None:
        explanation = authz.explain(subject, department, obj, action)
        return (Decision.ALLOW if explanation.allowed else Decision.DENY), explanation
    decision = Access(authz, subject, department).decide(requirement)
    if decision is Decision.DENY:
        return decision, authz.explain(subject, department, obj, action)
    candidates = [(obj, READ)]
    if requirement.pii is not None:
        pii = f"pii:{requirement.pii}"
        wanted = READ if decision is Decision.ALLOW else READ_MASKED
        candidates = [(obj, wanted), (pii, wanted)]
    else:
        candidates += list(requirement.needs)
    for candidate, act in candidates:
        explanation = authz.explain(subject, department, candidate, act)
        if explanation.allowed:
            return decision, explanation
    return decision, authz.explain(subject, department, obj, action)


async def access_review(
    state: AppState, session: AsyncSession, department: str, obj: str, action: str = READ
) -> list[ReviewRow]:
    """Everyone who may ``action`` ``obj`` in ``department``, and through which role."""
    await check_department(session, department)
    _check_object(state, obj, action)
    subjects = sorted(
        {r.values[0] for r in state.authz.rules if not r.is_grant and ":" in r.values[0]}
    )
    user_ids = [uuid.UUID(s.split(":", 1)[1]) for s in subjects if s.startswith("user:")]
    emails = {
        f"user:{user_id}": email
        for user_id, email in await session.execute(
            select(User.id, User.email).where(User.id.in_(user_ids))
        )
    }
    rows: list[ReviewRow] = []
    for subject in subjects:
        decision, explanation = _decide(state, subject, department, obj, action)
        if decision is Decision.DENY:
            continue
        scope = state.authz.scope(subject, department, obj, action) if explanation.rule else None
        rows.append(
            ReviewRow(
                subject,
                emails.get(subject),
                department,
                obj,
                action,
                decision.value,
                explanation,
                scope,
            )
        )
    return rows


def review_csv(rows: list[ReviewRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REVIEW_HEADER)
    for row in rows:
        rule = row.explanation.rule.describe() if row.explanation.rule else ""
        writer.writerow(
            (
                row.subject,
                row.user or "",
                row.department,
                row.obj,
                row.action,
                row.decision,
                " > ".join(row.explanation.chain),
                rule,
                row.scope or "",
            )
        )
    return out.getvalue()
