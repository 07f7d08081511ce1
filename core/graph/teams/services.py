"""Teams: create, change and delete them, their members, users' primary teams, territories."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.teams.models import Team, TeamMember
from unicrm.core.graph.users.models import User
from unicrm.core.regions import REGIONS, province

UNSET: Any = object()
MAX_NAME = 100
MAX_TERRITORIES = 100


def territories(values: Sequence[str], field: str = "territories") -> list[str]:
    """Territory names in their one spelling: province ISO codes (``TH-10``, from a code,
    number or Thai or English name) and region keys (``north``); duplicates dropped."""
    if len(values) > MAX_TERRITORIES:
        raise DomainError.single("INVALID", f"at most {MAX_TERRITORIES} territories", field)
    out: list[str] = []
    errors: list[FieldError] = []
    for i, value in enumerate(values):
        key = value.strip().casefold()
        if key in REGIONS:
            out.append(key)
            continue
        found = province(value) if value.strip() else None
        if found is None:
            errors.append(
                FieldError(
                    "INVALID",
                    f"{value!r} is neither a Thai province nor a region ({', '.join(REGIONS)})",
                    f"{field}.{i}",
                )
            )
        else:
            out.append(found.code)
    if errors:
        raise DomainError(*errors)
    return list(dict.fromkeys(out))


def _name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise DomainError.single("REQUIRED", "a team needs a name", "name")
    if len(name) > MAX_NAME:
        raise DomainError.single(
            "TOO_LONG", f"a team name has at most {MAX_NAME} characters", "name"
        )
    return name


async def _active_user(session: AsyncSession, user_id: uuid.UUID, field: str) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise DomainError.single("NOT_FOUND", "no active user with that id", field)
    return user


async def get_team(session: AsyncSession, team_id: uuid.UUID, field: str = "id") -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise DomainError.single("NOT_FOUND", "no such team", field)
    return team


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DomainError.single(
            "DUPLICATE", f"the department already has a team named {name!r}", "name"
        ) from None


@dataclass
class TeamData:
    department_id: uuid.UUID | None = None
    name: str | None = UNSET
    manager_id: uuid.UUID | None = UNSET
    territories: Sequence[str] | None = UNSET
    member_ids: Sequence[uuid.UUID] = ()


async def create_team(session: AsyncSession, data: TeamData) -> Team:
    """A team of a department, with its manager (also a member) and members."""
    name = _name(data.name if data.name is not UNSET else None)
    covered = territories(data.territories or ()) if data.territories is not UNSET else []
    if data.department_id is None or await session.get(Department, data.department_id) is None:
        raise DomainError.single("NOT_FOUND", "no such department", "department_id")
    manager = data.manager_id if data.manager_id is not UNSET else None
    if manager is not None:
        await _active_user(session, manager, "manager_id")
    for i, member in enumerate(data.member_ids):
        await _active_user(session, member, f"member_ids.{i}")
    team = Team(
        department_id=data.department_id, name=name, manager_id=manager, territories=covered
    )
    session.add(team)
    await _flush_unique(session, name)
    for user_id in dict.fromkeys([*data.member_ids, *([manager] if manager else [])]):
        session.add(TeamMember(team_id=team.id, user_id=user_id, is_primary=False))
    await session.flush()
    return team


async def update_team(session: AsyncSession, team_id: uuid.UUID, data: TeamData) -> Team:
    """Rename a team, change its manager (who joins it) or its territories."""
    team = await get_team(session, team_id)
    if data.name is not UNSET:
        team.name = _name(data.name)
    if data.territories is not UNSET:
        team.territories = territories(data.territories or ())
    if data.manager_id is not UNSET:
        if data.manager_id is not None:
            await _active_user(session, data.manager_id, "manager_id")
            if await session.get(TeamMember, (team.id, data.manager_id)) is None:
                session.add(TeamMember(team_id=team.id, user_id=data.manager_id, is_primary=False))
        team.manager_id = data.manager_id
    await _flush_unique(session, team.name)
    return team


async def delete_team(session: AsyncSession, team_id: uuid.UUID) -> Team:
    """Delete a team; its members lose it (and it as their primary team)."""
    team = await get_team(session, team_id)
    await session.delete(team)
    await session.flush()
    return team


async def add_member(
    session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID, *, primary: bool = False
) -> Team:
    """Make a user a member (idempotent), optionally making it their primary team."""
    team = await get_team(session, team_id, "team_id")
    await _active_user(session, user_id, "user_id")
    if await session.get(TeamMember, (team.id, user_id)) is None:
        session.add(TeamMember(team_id=team.id, user_id=user_id, is_primary=False))
        await session.flush()
    if primary:
        await set_primary_team(session, user_id, team.id)
    return team


async def remove_member(session: AsyncSession, team_id: uuid.UUID, user_id: uuid.UUID) -> Team:
    team = await get_team(session, team_id, "team_id")
    member = await session.get(TeamMember, (team.id, user_id))
    if member is None:
        raise DomainError.single("NOT_MEMBER", "the user is not a member of the team", "user_id")
    if team.manager_id == user_id:
        raise DomainError.single(
            "IS_MANAGER", "the team's manager stays a member; change the manager first", "user_id"
        )
    await session.delete(member)
    await session.flush()
    return team


async def set_primary_team(
    session: AsyncSession, user_id: uuid.UUID, team_id: uuid.UUID | None
) -> User:
    """Make ``team_id`` the user's primary team (it must be one of theirs); None clears it."""
    user = await _active_user(session, user_id, "user_id")
    member = None
    if team_id is not None:
        member = await session.get(TeamMember, (team_id, user_id))
        if member is None:
            raise DomainError.single(
                "NOT_MEMBER", "a primary team must be a team the user belongs to", "team_id"
            )
    await session.execute(
        update(TeamMember)
        .where(TeamMember.user_id == user_id, TeamMember.is_primary.is_(True))
        .values(is_primary=False)
    )
    if member is not None:
        await session.refresh(member)
        member.is_primary = True
    await session.flush()
    return user


async def team_for_province(
    session: AsyncSession, text: str, department_id: uuid.UUID | None = None
) -> Team | None:
    """The team covering a province (any spelling): one naming the province itself wins over
    one covering its whole region; among equals, the first by name."""
    found = province(text)
    if found is None:
        return None
    stmt = select(Team).order_by(Team.name, Team.id)
    if department_id is not None:
        stmt = stmt.where(Team.department_id == department_id)
    teams = (await session.scalars(stmt)).all()
    exact = [t for t in teams if found.code in t.territories]
    regional = [t for t in teams if found.region in t.territories]
    return (exact or regional or [None])[0]
