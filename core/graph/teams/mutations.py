from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.teams import models, services
from unicrm.core.graph.teams.types import (
    Team,
    TeamCreateInput,
    TeamDeleteInput,
    TeamError,
    TeamErrorCode,
    TeamMemberInput,
    TeamPayload,
    TeamUpdateInput,
    UserPrimaryTeamPayload,
    UserPrimaryTeamSetInput,
)
from unicrm.core.graph.users.types import User


async def _team_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Team]]
) -> TeamPayload:
    return await mutate(
        info,
        work,
        payload=TeamPayload,
        error_type=TeamError,
        codes=TeamErrorCode,
        result=lambda team: {"team": Team.from_row(team)},
    )


def _manager(value: Any) -> Any:
    if value is strawberry.UNSET:
        return services.UNSET
    return None if value is None else decode_id(value, "User", "manager_id")


@strawberry.type
class TeamMutation:
    @strawberry.mutation(
        metadata=requires("core.team:write"),
        description="Create a team in a department; its manager is also a member.",
    )
    async def team_create(self, info: strawberry.Info, input: TeamCreateInput) -> TeamPayload:
        async def work(session: AsyncSession) -> models.Team:
            data = services.TeamData(
                department_id=decode_id(input.department_id, "Department", "department_id"),
                name=input.name,
                manager_id=_manager(input.manager_id),
                territories=input.territories,
                member_ids=[
                    decode_id(m, "User", f"member_ids.{i}") for i, m in enumerate(input.member_ids)
                ],
            )
            return await services.create_team(session, data)

        return await _team_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.team:write"),
        description="Rename a team, change its manager or territories; omitted fields stay.",
    )
    async def team_update(self, info: strawberry.Info, input: TeamUpdateInput) -> TeamPayload:
        async def work(session: AsyncSession) -> models.Team:
            data = services.TeamData(
                name=services.UNSET if input.name is strawberry.UNSET else input.name,
                manager_id=_manager(input.manager_id),
                territories=services.UNSET
                if input.territories is strawberry.UNSET
                else input.territories,
            )
            return await services.update_team(session, decode_id(input.id, "Team"), data)

        return await _team_mutation(info, work)

    @strawberry.mutation(metadata=requires("core.team:write"), description="Delete a team.")
    async def team_delete(self, info: strawberry.Info, input: TeamDeleteInput) -> TeamPayload:
        async def work(session: AsyncSession) -> models.Team:
            return await services.delete_team(session, decode_id(input.id, "Team"))

        return await _team_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.team:write"),
        description="Add a user to a team (again changes nothing).",
    )
    async def team_member_add(self, info: strawberry.Info, input: TeamMemberInput) -> TeamPayload:
        async def work(session: AsyncSession) -> models.Team:
            return await services.add_member(
                session,
                decode_id(input.team_id, "Team", "team_id"),
                decode_id(input.user_id, "User", "user_id"),
                primary=input.primary,
            )

        return await _team_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.team:write"), description="Take a user off a team."
    )
    async def team_member_remove(
        self, info: strawberry.Info, input: TeamMemberInput
    ) -> TeamPayload:
        async def work(session: AsyncSession) -> models.Team:
            return await services.remove_member(
                session,
                decode_id(input.team_id, "Team", "team_id"),
                decode_id(input.user_id, "User", "user_id"),
            )

        return await _team_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("core.team:write"),
        description="Set a user's primary team, which must be one of the user's teams.",
    )
    async def user_primary_team_set(
        self, info: strawberry.Info, input: UserPrimaryTeamSetInput
    ) -> UserPrimaryTeamPayload:
        async def work(session: AsyncSession) -> Any:
            team_id = None if input.team_id is None else decode_id(input.team_id, "Team", "team_id")
            return await services.set_primary_team(
                session, decode_id(input.user_id, "User", "user_id"), team_id
            )

        return await mutate(
            info,
            work,
            payload=UserPrimaryTeamPayload,
            error_type=TeamError,
            codes=TeamErrorCode,
            result=lambda user: {"user": User.from_row(user)},
        )


MUTATION = TeamMutation
