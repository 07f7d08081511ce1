"""Helpers of the SFA tests: the default pipeline's stages and deals written directly."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from unicrm.core.db.types import utcnow
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.teams.models import Team, TeamMember
from unicrm.core.state import AppState
from unicrm.plugins.sfa.models import Deal, Pipeline, Stage
from unicrm.plugins.sfa.services.pipelines import default_pipeline, stages_of


async def b2b(state: AppState) -> dict[str, Stage]:
    """The default pipeline's stages by name (the pipeline is made when missing)."""
    async with state.db.transaction() as session:
        pipeline = await default_pipeline(session)
        return {s.name: s for s in await stages_of(session, pipeline.id)}


async def pipeline_named(state: AppState, name: str) -> Pipeline:
    async with state.db.session() as session:
        found = await session.scalar(select(Pipeline).where(Pipeline.name == name))
    assert found is not None
    return found


def deal(
    customer_id: uuid.UUID, stage: Stage, title: str, *, minutes: int = 0, **extra: Any
) -> Deal:
    """A deal row written as is (no history): for listing tests."""
    values: dict[str, Any] = {"amount": Decimal("1000"), "currency": "THB", **extra}
    at = utcnow() + timedelta(minutes=minutes)
    return Deal(
        customer_id=customer_id,
        title=title,
        pipeline_id=stage.pipeline_id,
        stage_id=stage.id,
        created_at=at,
        updated_at=at,
        stage_entered_at=at,
        **values,
    )


def gid(type_name: str, pk: uuid.UUID) -> str:
    return to_global_id(type_name, pk)


async def add_team(state: AppState, name: str, *members: uuid.UUID) -> uuid.UUID:
    """A team of the default department with these members."""
    async with state.db.transaction() as session:
        department = await session.scalar(select(Department.id).limit(1))
        team = Team(department_id=department, name=name)
        session.add(team)
        await session.flush()
        session.add_all(TeamMember(team_id=team.id, user_id=m) for m in members)
    return team.id
