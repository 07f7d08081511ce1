"""Macros (canned responses): a reply body in the core template language with variables, and
the fields applying it sets on the case (status, priority, category).

The body is checked like a message template when it is saved (core/messaging/templates.py):
it may use ``customer.<field>`` and ``MACRO_VARIABLES``. Applying a macro renders the body for
the case, adds it as a public reply (sent to the customer like any reply) and sets the fields,
all in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.customers.models import Customer
from unicrm.core.messaging import templates
from unicrm.core.messaging.runtime import current
from unicrm.core.messaging.services import customer_locale, customer_variables
from unicrm.plugins.crm.models import (
    Case,
    CaseMessage,
    CaseMessageKind,
    CasePriority,
    CaseStatus,
    Macro,
)
from unicrm.plugins.crm.services import cases
from unicrm.plugins.crm.services.categories import normalize_category
from unicrm.plugins.crm.services.outbound import case_tag

MACRO_VARIABLES = ("case_subject", "case_tag", "agent_name")
MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class MacroData:
    name: str
    body: str
    set_status: CaseStatus | None = None
    set_priority: CasePriority | None = None
    set_category: str | None = None


def _checked(data: MacroData) -> MacroData:
    errors: list[FieldError] = []
    name = (data.name or "").strip()
    if not name:
        errors.append(FieldError("REQUIRED", "a macro needs a name", "name"))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("TOO_LONG", f"at most {MAX_NAME} characters", "name"))
    body = (data.body or "").strip()
    if not body:
        errors.append(FieldError("REQUIRED", "a macro needs a reply body", "body"))
    elif len(body) > cases.MAX_BODY:
        errors.append(FieldError("TOO_LONG", f"at most {cases.MAX_BODY} characters", "body"))
    else:
        try:
            templates.check(templates.Parts(None, body, None), MACRO_VARIABLES)
        except DomainError as error:
            errors += [FieldError(e.code, e.message, "body") for e in error.errors]
    category = normalize_category(data.set_category, errors, "set_category")
    if data.set_status is CaseStatus.CLOSED:
        errors.append(
            FieldError("INVALID", "a macro cannot close a case; resolve it", "set_status")
        )
    if errors:
        raise DomainError(*errors)
    return MacroData(name, body, data.set_status, data.set_priority, category)


async def _name_free(session: AsyncSession, name: str, other_than: uuid.UUID | None) -> None:
    found = await session.scalar(select(Macro.id).where(Macro.name == name))
    if found is not None and found != other_than:
        raise DomainError.single("DUPLICATE", "another macro has this name", "name")


async def create_macro(session: AsyncSession, data: MacroData) -> Macro:
    clean = _checked(data)
    await _name_free(session, clean.name, None)
    now = utcnow()
    macro = Macro(
        id=uuid7(),
        name=clean.name,
        body=clean.body,
        set_status=clean.set_status,
        set_priority=clean.set_priority,
        set_category=clean.set_category,
        created_at=now,
        updated_at=now,
    )
    session.add(macro)
    await session.flush()
    return macro


async def get_macro(session: AsyncSession, macro_id: uuid.UUID, field: str = "id") -> Macro:
    macro = await session.get(Macro, macro_id)
    if macro is None:
        raise DomainError.single("NOT_FOUND", "no such macro", field)
    return macro


async def update_macro(session: AsyncSession, macro_id: uuid.UUID, data: MacroData) -> Macro:
    """Replace a macro's name, body and the fields it sets."""
    macro = await get_macro(session, macro_id)
    clean = _checked(data)
    await _name_free(session, clean.name, macro.id)
    macro.name, macro.body = clean.name, clean.body
    macro.set_status, macro.set_priority = clean.set_status, clean.set_priority
    macro.set_category, macro.updated_at = clean.set_category, utcnow()
    return macro


async def delete_macro(session: AsyncSession, macro_id: uuid.UUID) -> Macro:
    macro = await get_macro(session, macro_id)
    await session.delete(macro)
    return macro


async def render_for(session: AsyncSession, macro: Macro, case: Case, agent: str | None) -> str:
    customer = await session.get_one(Customer, case.customer_id)
    locale = customer_locale(customer, current().settings.default_locale)
    rendered = templates.render(
        templates.Parts(None, macro.body, None),
        MACRO_VARIABLES,
        {"case_subject": case.subject, "case_tag": case_tag(case), "agent_name": agent or ""},
        {"customer": customer_variables(customer, locale), "unsubscribe_url": ""},
    )
    return rendered.text


async def apply_macro(
    session: AsyncSession,
    case_id: uuid.UUID,
    macro_id: uuid.UUID,
    *,
    reopen_days: int,
    zone: ZoneInfo,
    scope: ColumnElement[bool] | None = None,
) -> CaseMessage:
    """Add the macro's reply to the case, then set its priority, category and status."""
    macro = await get_macro(session, macro_id, "macro_id")
    case = await cases.get_case(session, case_id, scope, field_name="case_id")
    if case.status is CaseStatus.CLOSED:
        raise DomainError.single(
            "CASE_CLOSED", "the case is closed; reopen it before writing to it", "case_id"
        )
    if macro.set_priority is not None or macro.set_category is not None:
        changes = cases.CaseChanges(
            priority=macro.set_priority or cases.UNSET,
            category=macro.set_category or cases.UNSET,
        )
        await cases.update_case(session, case.id, changes, zone, scope)
    body = await render_for(session, macro, case, cases.actor_name(session))
    return await cases.add_message(
        session,
        case.id,
        CaseMessageKind.REPLY,
        body,
        then_status=macro.set_status,
        reopen_days=reopen_days,
        zone=zone,
        scope=scope,
    )
