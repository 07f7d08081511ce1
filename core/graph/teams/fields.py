"""``User.teams`` and ``User.primaryTeam``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.plan import loads
from unicrm.core.graph.teams.types import Team
from unicrm.core.graph.users.types import User


@loads("core.teams_by_user", each=Team.from_row)
async def teams(root: User, info: strawberry.Info) -> list[Team]: ...


@loads("core.primary_team_by_user", one=Team.from_row)
async def primary_team(root: User, info: strawberry.Info) -> Team | None: ...


def FIELDS() -> dict[str, list[Any]]:
    return {
        "User": [
            strawberry.field(resolver=teams, description="The teams the user belongs to."),
            strawberry.field(
                resolver=primary_team, description="The user's primary team (one of theirs)."
            ),
        ]
    }
