from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import many_per_key, one_per_key
from unicrm.core.graph.teams.models import Team, TeamMember
from unicrm.core.graph.users.models import User


async def _teams_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(select(Team).where(Team.id.in_(keys)))
    return [(r.id, r) for r in rows]


async def _members_by_team(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.execute(
        select(TeamMember.team_id, User)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id.in_(keys))
        .order_by(User.display_name, User.id)
    )
    return [(team_id, user) for team_id, user in rows]


async def _teams_by_user(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.execute(
        select(TeamMember.user_id, Team)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(keys))
        .order_by(Team.name, Team.id)
    )
    return [(user_id, team) for user_id, team in rows]


async def _primary_team_by_user(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.execute(
        select(TeamMember.user_id, Team)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(keys), TeamMember.is_primary.is_(True))
    )
    return [(user_id, team) for user_id, team in rows]


LOADERS = {
    "core.team_by_id": one_per_key(_teams_by_id),
    "core.members_by_team": many_per_key(_members_by_team),
    "core.teams_by_user": many_per_key(_teams_by_user),
    "core.primary_team_by_user": one_per_key(_primary_team_by_user),
}
