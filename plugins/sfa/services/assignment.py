"""Who works a deal: reassignment by hand, automatic assignment by rules, and the hand-off
of a qualified deal from an inside rep to a field rep with a note.

Rules are tried in ``position`` order and the first that finds someone wins: the customer's
account owner; round-robin in the team covering the customer's province (the primary
address's, else any); round-robin in a fixed team. A team's round-robin turn is a row locked
for the transaction, so concurrent assignments take turns instead of both picking the same
rep. Every change of owner is kept (``DealAssignment``) and the new owner is notified.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.contacts.models import CustomerAddress
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.notifications.models import NotificationKind
from unicrm.core.graph.notifications.services import notify
from unicrm.core.graph.teams.models import Team, TeamMember
from unicrm.core.graph.teams.services import team_for_province
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.graph.users.models import User
from unicrm.plugins.sfa.events import DealAssigned
from unicrm.plugins.sfa.models import (
    AssignmentKind,
    AssignmentRule,
    Deal,
    DealAssignment,
    RoundRobin,
    RuleKind,
)
from unicrm.plugins.sfa.services.deals import check_version, flush_deal, get_deal
from unicrm.plugins.sfa.services.pipelines import clean_name

MAX_NOTE = 2000


def _note(value: str | None, required: bool) -> str | None:
    note = (value or "").strip() or None
    if note is None and required:
        raise DomainError.single("REQUIRED", "a hand-off needs a note for the field rep", "note")
    if note is not None and len(note) > MAX_NOTE:
        raise DomainError.single("TOO_LONG", f"at most {MAX_NOTE} characters", "note")
    return note


async def create_rule(
    session: AsyncSession, name: str, kind: RuleKind, team_id: uuid.UUID | None
) -> AssignmentRule:
    """A rule at the end of the order. Round-robin rules need their team; the others none."""
    name = clean_name(name, "name")
    if kind is RuleKind.ROUND_ROBIN and team_id is None:
        raise DomainError.single("REQUIRED", "a round-robin rule needs its team", "team_id")
    if kind is not RuleKind.ROUND_ROBIN and team_id is not None:
        raise DomainError.single("INVALID", "only a round-robin rule has a team", "team_id")
    if team_id is not None and await session.get(Team, team_id) is None:
        raise DomainError.single("NOT_FOUND", "no such team", "team_id")
    if await session.scalar(select(AssignmentRule.id).where(AssignmentRule.name == name)):
        raise DomainError.single("DUPLICATE", "a rule with this name exists", "name")
    last = await session.scalar(select(func.max(AssignmentRule.position)))
    rule = AssignmentRule(name=name, kind=kind, team_id=team_id, position=(last or 0) + 1)
    session.add(rule)
    await session.flush()
    return rule


async def _next_in_team(session: AsyncSession, team_id: uuid.UUID) -> uuid.UUID | None:
    """The team member after the last one given a deal (by user id order), taking the turn."""
    members = list(
        (
            await session.scalars(
                select(TeamMember.user_id)
                .where(TeamMember.team_id == team_id)
                .order_by(TeamMember.user_id)
            )
        ).all()
    )
    if not members:
        return None
    turn = await session.get(RoundRobin, team_id, with_for_update=True)
    if turn is None:
        turn = RoundRobin(team_id=team_id, last_user_id=None)
        session.add(turn)
    after = [m for m in members if turn.last_user_id is not None and m > turn.last_user_id]
    chosen = (after or members)[0]
    turn.last_user_id = chosen
    await session.flush()
    return chosen


async def _province(session: AsyncSession, customer_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(CustomerAddress.province)
        .where(CustomerAddress.customer_id == customer_id, CustomerAddress.province.is_not(None))
        .order_by(CustomerAddress.is_primary.desc(), CustomerAddress.id)
        .limit(1)
    )


async def _by_rule(
    session: AsyncSession, rule: AssignmentRule, customer: Customer
) -> uuid.UUID | None:
    if rule.kind is RuleKind.ACCOUNT_OWNER:
        return customer.owner_id
    if rule.kind is RuleKind.ROUND_ROBIN:
        return None if rule.team_id is None else await _next_in_team(session, rule.team_id)
    where = await _province(session, customer.id)
    team = None if where is None else await team_for_province(session, where)
    return None if team is None else await _next_in_team(session, team.id)


def _actor(session: AsyncSession) -> str:
    return getattr(session.info.get("actor"), "name", None) or "system"


async def _give(
    session: AsyncSession,
    deal: Deal,
    owner_id: uuid.UUID,
    kind: AssignmentKind,
    *,
    rule_id: uuid.UUID | None = None,
    note: str | None = None,
) -> Deal:
    previous = deal.owner_id
    deal.owner_id = owner_id
    deal.updated_at = utcnow()
    session.add(
        DealAssignment(
            deal_id=deal.id,
            kind=kind,
            from_owner_id=previous,
            to_owner_id=owner_id,
            rule_id=rule_id,
            note=note,
            assigned_by=_actor(session),
        )
    )
    await flush_deal(session)
    emit(
        session,
        "deal.assigned",
        DealAssigned(
            deal_id=str(deal.id),
            from_owner_id=None if previous is None else str(previous),
            owner_id=str(owner_id),
            kind=kind.value,
        ),
        customer_id=deal.customer_id,
    )
    handoff = kind is AssignmentKind.HANDOFF
    notify(
        session,
        owner_id,
        NotificationKind.HANDOFF if handoff else NotificationKind.ASSIGNMENT,
        f"{'Deal handed off to you' if handoff else 'New deal for you'}: {deal.title}",
        body=note,
        subject=to_global_id("Deal", deal.id),
    )
    if handoff:
        add_entry(
            session,
            deal.customer_id,
            "sfa.deal_handed_off",
            f"{deal.title}: handed off to a field rep",
            summary=note,
            ref_type="Deal",
            ref_id=deal.id,
        )
    await session.flush()
    return deal


async def _user(session: AsyncSession, user_id: uuid.UUID, field: str) -> None:
    if await session.get(User, user_id) is None:
        raise DomainError.single("NOT_FOUND", "no such user", field)


async def assign(
    session: AsyncSession,
    deal_id: uuid.UUID,
    owner_id: uuid.UUID,
    *,
    expected_version: int | None = None,
    scope: ColumnElement[bool] | None = None,
) -> Deal:
    """Give a deal to another owner by hand (kept in its history; the owner is notified)."""
    deal = await get_deal(session, deal_id, scope)
    check_version(deal, expected_version)
    await _user(session, owner_id, "owner_id")
    if deal.owner_id == owner_id:
        return deal
    return await _give(session, deal, owner_id, AssignmentKind.MANUAL)


async def hand_off(
    session: AsyncSession,
    deal_id: uuid.UUID,
    owner_id: uuid.UUID,
    note: str | None,
    *,
    expected_version: int | None = None,
    scope: ColumnElement[bool] | None = None,
) -> Deal:
    """An inside rep hands a qualified deal to a field rep, with a note; the field rep is
    notified, and the hand-off is on the customer's timeline."""
    text = _note(note, required=True)
    deal = await get_deal(session, deal_id, scope)
    check_version(deal, expected_version)
    await _user(session, owner_id, "owner_id")
    if deal.owner_id == owner_id:
        raise DomainError.single("SAME_OWNER", "the deal is already theirs", "owner_id")
    return await _give(session, deal, owner_id, AssignmentKind.HANDOFF, note=text)


async def auto_assign(
    session: AsyncSession, deal_id: uuid.UUID, scope: ColumnElement[bool] | None = None
) -> Deal:
    """Assign a deal by the first active rule that finds someone (NO_RULE_MATCHED else)."""
    deal = await get_deal(session, deal_id, scope)
    customer = await session.get_one(Customer, deal.customer_id)
    rules = (
        await session.scalars(
            select(AssignmentRule)
            .where(AssignmentRule.active)
            .order_by(AssignmentRule.position, AssignmentRule.id)
        )
    ).all()
    for rule in rules:
        owner = await _by_rule(session, rule, customer)
        if owner is not None:
            if owner == deal.owner_id:
                return deal
            return await _give(session, deal, owner, AssignmentKind.RULE, rule_id=rule.id)
    raise DomainError.single("NO_RULE_MATCHED", "no assignment rule found an owner", "id")
