from __future__ import annotations

import strawberry
from sqlalchemy import select

from unicrm.core.authz.declare import requires
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.teams import services
from unicrm.core.graph.teams.models import Team as TeamRow
from unicrm.core.graph.teams.types import Team


@strawberry.type
class TeamQuery:
    @strawberry.field(metadata=requires("core.team:read"), description="One team by id.")
    async def team(self, info: strawberry.Info, id: strawberry.ID) -> Team | None:
        _, pk = parse_global_id(id, "Team")
        return await Team.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.team:read"),
        description="Teams in name order, of one department when `departmentId` is given.",
    )
    async def teams(
        self, info: strawberry.Info, department_id: strawberry.ID | None = None
    ) -> list[Team]:
        stmt = select(TeamRow).order_by(TeamRow.name, TeamRow.id)
        if department_id is not None:
            stmt = stmt.where(
                TeamRow.department_id == parse_global_id(department_id, "Department")[1]
            )
        async with info.context.db.session() as session:
            rows = (await session.scalars(stmt)).all()
        return [Team.from_row(r) for r in rows]

    @strawberry.field(
        metadata=requires("core.team:read"),
        description="The team covering a province (ISO code, number, Thai or English name): "
        "one naming the province wins over one covering its region.",
    )
    async def team_for_province(
        self, info: strawberry.Info, province: str, department_id: strawberry.ID | None = None
    ) -> Team | None:
        department = parse_global_id(department_id, "Department")[1] if department_id else None
        async with info.context.db.session() as session:
            row = await services.team_for_province(session, province, department)
        return None if row is None else Team.from_row(row)


QUERY = TeamQuery
