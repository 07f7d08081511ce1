"""Pipelines and their ordered stages: create, add, rename, reorder, archive.

Stages are never deleted: a deal's stage history keeps naming the stages it went through, so
renaming a stage renames it in every history too, and archiving only takes it off the board.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.plugins.sfa.models import Deal, Pipeline, Stage, StageKind

MAX_NAME = 100
MAX_STAGES = 30
DEFAULT_PIPELINE = "B2B"
DEFAULT_STAGES = (
    ("Opportunity", 10, StageKind.OPEN),
    ("Qualify", 30, StageKind.OPEN),
    ("Negotiation", 60, StageKind.OPEN),
    ("Closed Won", 100, StageKind.WON),
    ("Closed Lost", 0, StageKind.LOST),
)
"""The default B2B pipeline (also created by the plugin's first migration)."""


@dataclass(frozen=True, slots=True)
class StageSpec:
    name: str
    probability: int
    kind: StageKind = StageKind.OPEN


def clean_name(value: str | None, field: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise DomainError.single("REQUIRED", "a name is required", field)
    if len(name) > MAX_NAME:
        raise DomainError.single("TOO_LONG", f"a name has at most {MAX_NAME} characters", field)
    return name


def _probability_errors(value: int, field: str) -> list[FieldError]:
    if 0 <= value <= 100:
        return []
    return [FieldError("INVALID_PROBABILITY", "a probability is a percent, 0 to 100", field)]


async def get_pipeline(
    session: AsyncSession, pipeline_id: uuid.UUID, field: str = "id"
) -> Pipeline:
    pipeline = await session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise DomainError.single("NOT_FOUND", "no such pipeline", field)
    return pipeline


async def get_stage(session: AsyncSession, stage_id: uuid.UUID, field: str = "id") -> Stage:
    stage = await session.get(Stage, stage_id)
    if stage is None:
        raise DomainError.single("NOT_FOUND", "no such stage", field)
    return stage


async def stages_of(session: AsyncSession, pipeline_id: uuid.UUID) -> list[Stage]:
    """The pipeline's stages in board order, archived ones included."""
    stmt = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position, Stage.id)
    return list((await session.scalars(stmt)).all())


async def first_open_stage(session: AsyncSession, pipeline_id: uuid.UUID) -> Stage:
    stage = await session.scalar(
        select(Stage)
        .where(
            Stage.pipeline_id == pipeline_id,
            Stage.kind == StageKind.OPEN,
            Stage.archived_at.is_(None),
        )
        .order_by(Stage.position, Stage.id)
        .limit(1)
    )
    if stage is None:
        raise DomainError.single("NO_OPEN_STAGE", "the pipeline has no open stage", "pipeline_id")
    return stage


async def default_pipeline(session: AsyncSession) -> Pipeline:
    """The default pipeline; the B2B one is created when none is (a database emptied since
    its migration). Concurrent callers end up with the same row."""
    found = await session.scalar(select(Pipeline).where(Pipeline.is_default))
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            pipeline = await _insert_pipeline(
                session,
                DEFAULT_PIPELINE,
                [StageSpec(n, p, k) for n, p, k in DEFAULT_STAGES],
                is_default=True,
            )
    except IntegrityError:
        return await session.scalar(select(Pipeline).where(Pipeline.is_default))  # type: ignore[return-value]
    return pipeline


async def _insert_pipeline(
    session: AsyncSession, name: str, stages: list[StageSpec], *, is_default: bool
) -> Pipeline:
    pipeline = Pipeline(name=name, is_default=is_default)
    session.add(pipeline)
    await session.flush()
    session.add_all(
        Stage(
            pipeline_id=pipeline.id,
            name=s.name,
            position=i,
            probability=s.probability,
            kind=s.kind,
        )
        for i, s in enumerate(stages, start=1)
    )
    await session.flush()
    return pipeline


async def create_pipeline(
    session: AsyncSession, name: str, stages: list[StageSpec], *, is_default: bool = False
) -> Pipeline:
    """A pipeline with its stages in the given order: at least one open stage, one won and
    one lost, names unique within it."""
    name = clean_name(name, "name")
    errors: list[FieldError] = []
    cleaned: list[StageSpec] = []
    seen: set[str] = set()
    if not stages:
        errors.append(FieldError("REQUIRED", "a pipeline needs stages", "stages"))
    if len(stages) > MAX_STAGES:
        errors.append(FieldError("INVALID", f"at most {MAX_STAGES} stages", "stages"))
    for i, spec in enumerate(stages):
        try:
            stage_name = clean_name(spec.name, f"stages.{i}.name")
        except DomainError as error:
            errors += error.errors
            continue
        if stage_name.casefold() in seen:
            errors.append(
                FieldError("DUPLICATE", "stage names are unique in a pipeline", f"stages.{i}.name")
            )
        seen.add(stage_name.casefold())
        errors += _probability_errors(spec.probability, f"stages.{i}.probability")
        cleaned.append(StageSpec(stage_name, spec.probability, spec.kind))
    kinds = {s.kind for s in stages}
    if stages and not {StageKind.OPEN, StageKind.WON, StageKind.LOST} <= kinds:
        errors.append(
            FieldError(
                "MISSING_STAGE_KIND",
                "a pipeline needs at least one open, one won and one lost stage",
                "stages",
            )
        )
    if errors:
        raise DomainError(*errors)
    if await session.scalar(select(Pipeline.id).where(Pipeline.name == name)) is not None:
        raise DomainError.single("DUPLICATE", "a pipeline with this name exists", "name")
    if is_default:
        await default_pipeline(session)  # the current default exists before it is replaced
        await session.execute(update(Pipeline).where(Pipeline.is_default).values(is_default=False))
    return await _insert_pipeline(session, name, cleaned, is_default=is_default)


async def add_stage(
    session: AsyncSession, pipeline_id: uuid.UUID, spec: StageSpec, position: int | None
) -> Stage:
    """Insert a stage at ``position`` (1-based; at the end when None), shifting later ones."""
    name = clean_name(spec.name, "name")
    errors = _probability_errors(spec.probability, "probability")
    if errors:
        raise DomainError(*errors)
    await get_pipeline(session, pipeline_id, "pipeline_id")
    stages = await stages_of(session, pipeline_id)
    if any(s.name.casefold() == name.casefold() for s in stages):
        raise DomainError.single("DUPLICATE", "stage names are unique in a pipeline", "name")
    if len(stages) >= MAX_STAGES:
        raise DomainError.single("INVALID", f"at most {MAX_STAGES} stages", "pipeline_id")
    at = len(stages) + 1 if position is None else position
    if not 1 <= at <= len(stages) + 1:
        raise DomainError.single(
            "INVALID_POSITION", f"a position from 1 to {len(stages) + 1}", "position"
        )
    stage = Stage(pipeline_id=pipeline_id, name=name, probability=spec.probability, kind=spec.kind)
    stages.insert(at - 1, stage)
    session.add(stage)
    _renumber(stages)
    await session.flush()
    return stage


def _renumber(stages: list[Stage]) -> None:
    for i, stage in enumerate(stages, start=1):
        stage.position = i


async def update_stage(
    session: AsyncSession,
    stage_id: uuid.UUID,
    *,
    name: str | None = None,
    probability: int | None = None,
    position: int | None = None,
) -> Stage:
    """Rename, re-weight or move a stage; its deals and their history stay with it."""
    stage = await get_stage(session, stage_id)
    errors: list[FieldError] = []
    if probability is not None:
        errors += _probability_errors(probability, "probability")
    new_name = None
    if name is not None:
        try:
            new_name = clean_name(name, "name")
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    stages = await stages_of(session, stage.pipeline_id)
    if new_name is not None and any(
        s.id != stage.id and s.name.casefold() == new_name.casefold() for s in stages
    ):
        raise DomainError.single("DUPLICATE", "stage names are unique in a pipeline", "name")
    if position is not None:
        if not 1 <= position <= len(stages):
            raise DomainError.single(
                "INVALID_POSITION", f"a position from 1 to {len(stages)}", "position"
            )
        stages.remove(stage)
        stages.insert(position - 1, stage)
        _renumber(stages)
    if new_name is not None:
        stage.name = new_name
    if probability is not None:
        stage.probability = probability
    await session.flush()
    return stage


async def archive_stage(session: AsyncSession, stage_id: uuid.UUID) -> Stage:
    """Take a stage off the board. Refused while deals are in it, or when it is the
    pipeline's last live stage of its kind."""
    stage = await get_stage(session, stage_id)
    if stage.archived_at is not None:
        return stage
    holding = await session.scalar(select(func.count()).where(Deal.stage_id == stage.id))
    if holding:
        raise DomainError.single(
            "STAGE_NOT_EMPTY", f"{holding} deal(s) are in this stage; move them first", "id"
        )
    others = await session.scalar(
        select(func.count()).where(
            Stage.pipeline_id == stage.pipeline_id,
            Stage.kind == stage.kind,
            Stage.archived_at.is_(None),
            Stage.id != stage.id,
        )
    )
    if not others:
        raise DomainError.single(
            "MISSING_STAGE_KIND", f"the pipeline's last {stage.kind.value} stage stays", "id"
        )
    stage.archived_at = utcnow()
    await session.flush()
    return stage
