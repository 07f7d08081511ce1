from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.departments.types import Department
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.graph.teams import models
from unicrm.core.graph.users.types import User
from unicrm.core.regions import REGIONS, province


@strawberry.enum
class TerritoryKind(Enum):
    PROVINCE = "province"
    REGION = "region"


@guard("core.team")
@strawberry.type(description="A province or a whole region a team covers.")
class Territory:
    code: str = strawberry.field(description="A province's ISO code (TH-10) or a region key.")
    kind: TerritoryKind
    name: str = strawberry.field(description="The English name.")
    name_th: str | None = strawberry.field(description="The Thai name of a province.")

    @classmethod
    def of(cls, code: str) -> Territory:
        if code in REGIONS:
            return cls(code=code, kind=TerritoryKind.REGION, name=REGIONS[code], name_th=None)
        found = province(code)
        assert found is not None  # stored territories are validated
        return cls(
            code=code, kind=TerritoryKind.PROVINCE, name=found.name_en, name_th=found.name_th
        )


@guard("core.team")
@strawberry.type(name="Team", description="A team of a department.")
class Team(Node):
    pk: strawberry.Private[uuid.UUID]
    department_pk: strawberry.Private[uuid.UUID]
    manager_pk: strawberry.Private[uuid.UUID | None]
    name: str
    territories: list[Territory]
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Team) -> Team:
        return cls(
            id=strawberry.ID(to_global_id("Team", row.id)),
            pk=row.id,
            department_pk=row.department_id,
            manager_pk=row.manager_id,
            name=row.name,
            territories=[Territory.of(code) for code in row.territories],
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Team | None:
        row = await info.context.loaders["core.team_by_id"].load(pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    @direct
    async def department(self, info: strawberry.Info) -> Department | None:
        return await Department.load_node(info, self.department_pk)

    @strawberry.field
    @direct
    async def manager(self, info: strawberry.Info) -> User | None:
        return None if self.manager_pk is None else await User.load_node(info, self.manager_pk)

    @strawberry.field(description="The team's members (the manager among them), by name.")
    @direct
    async def members(self, info: strawberry.Info) -> list[User]:
        rows = await info.context.loaders["core.members_by_team"].load(self.pk)
        return [User.from_row(r) for r in rows]


@strawberry.enum
class TeamErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    NOT_MEMBER = "not_member"
    IS_MANAGER = "is_manager"


@strawberry.type
class TeamError:
    field: str | None
    code: TeamErrorCode
    message: str


@strawberry.input
class TeamCreateInput:
    department_id: strawberry.ID
    name: str
    manager_id: strawberry.ID | None = None
    member_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    territories: list[str] = strawberry.field(
        default_factory=list,
        description="Provinces (ISO code, number, Thai or English name) and region keys.",
    )


@strawberry.input
class TeamUpdateInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    manager_id: strawberry.ID | None = strawberry.UNSET
    territories: list[str] | None = strawberry.UNSET


@strawberry.input
class TeamDeleteInput:
    id: strawberry.ID


@strawberry.input
class TeamMemberInput:
    team_id: strawberry.ID
    user_id: strawberry.ID
    primary: bool = strawberry.field(
        default=False, description="teamMemberAdd: also make it the user's primary team."
    )


@strawberry.input
class UserPrimaryTeamSetInput:
    user_id: strawberry.ID
    team_id: strawberry.ID | None = strawberry.field(description="Null clears it.")


@strawberry.type
class TeamPayload:
    errors: list[TeamError]
    team: Team | None = None


@strawberry.type
class UserPrimaryTeamPayload:
    errors: list[TeamError]
    user: User | None = None
