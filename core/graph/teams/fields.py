"""``User.teams`` and ``User.primaryTeam``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.teams.types import Team
from unicrm.core.graph.users.types import User


async def teams(root: User, info: strawberry.Info) -> list[Team]:
    rows = await info.context.loaders["core.teams_by_user"].load(root.pk)
    return [Team.from_row(r) for r in rows]


async def primary_team(root: User, info: strawberry.Info) -> Team | None:
    row = await info.context.loaders["core.primary_team_by_user"].load(root.pk)
    return None if row is None else Team.from_row(row)


def FIELDS() -> dict[str, list[Any]]:
    return {
        "User": [
            strawberry.field(resolver=teams, description="The teams the user belongs to."),
            strawberry.field(
                resolver=primary_team, description="The user's primary team (one of theirs)."
            ),
        ]
    }
