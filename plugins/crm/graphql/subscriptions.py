"""Live feeds for queues and agents: a new case in a queue, a case given to me, SLA alerts
(docs/service.md). Each comes from the committed domain events (the events fan-out) and sends
the case as stored then, only when the subscriber may see it (their ``crm.case`` scope)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import strawberry
from sqlalchemy import select

from unicrm.core.authz.declare import requires
from unicrm.core.errors import BadRequest, NotFound
from unicrm.core.graph.ids import decode_id, to_global_id
from unicrm.core.graph.teams.models import Team
from unicrm.plugins.crm import events, models
from unicrm.plugins.crm.graphql.types import Case
from unicrm.plugins.crm.services import cases


async def _visible_case(ctx: Any, case_gid: str) -> models.Case | None:
    pk = decode_id(case_gid, "Case", "case_id")
    stmt = select(models.Case).where(models.Case.id == pk).execution_options(populate_existing=True)
    scope = cases.visible_to(ctx)
    async with ctx.db.session() as session:
        return await session.scalar(stmt if scope is None else stmt.where(scope))


async def _cases(ctx: Any, types: frozenset[str], wanted: Any) -> AsyncIterator[models.Case]:
    """The visible cases of the events of ``types`` whose payload ``wanted`` accepts."""
    async with ctx.state.events.fanout.subscribe() as feed:
        async for event in feed:
            if event.type not in types or not wanted(event.payload):
                continue
            row = await _visible_case(ctx, event.payload["case_id"])
            if row is not None:
                yield row


async def _team_gid(ctx: Any, team_id: strawberry.ID) -> str:
    pk = decode_id(team_id, "Team", "teamId")
    async with ctx.db.session() as session:
        if await session.get(Team, pk) is None:
            raise NotFound("no such team")
    return to_global_id("Team", pk)


def _me(ctx: Any) -> str:
    user_id = ctx.actor.user_id
    if not isinstance(user_id, uuid.UUID):
        raise BadRequest("only a signed-in user has cases of their own; name a queue")
    return to_global_id("User", user_id)


@strawberry.type
class CaseSubscription:
    @strawberry.subscription(
        metadata=requires("crm.case:read"),
        description="Each case opened in the queue (team), as you may see it.",
    )
    async def case_opened_in_queue(
        self, info: strawberry.Info, team_id: strawberry.ID
    ) -> AsyncGenerator[Case, None]:
        ctx = info.context
        team = await _team_gid(ctx, team_id)
        opened = frozenset({events.CASE_OPENED})
        async for row in _cases(ctx, opened, lambda p: p.get("team_id") == team):
            yield Case.from_row(row)

    @strawberry.subscription(
        metadata=requires("crm.case:read"),
        description="Each case given to you: opened for you or assigned to you.",
    )
    async def case_assigned_to_me(self, info: strawberry.Info) -> AsyncGenerator[Case, None]:
        ctx = info.context
        me = _me(ctx)
        given = frozenset({events.CASE_OPENED, events.CASE_ASSIGNED})
        async for row in _cases(ctx, given, lambda p: p.get("assignee_id") == me):
            yield Case.from_row(row)

    @strawberry.subscription(
        metadata=requires("crm.case:read"),
        description="Each SLA warning or breach of a case in the queue (team) or, without a "
        "queue, of a case assigned to you: the case as it stands then.",
    )
    async def case_sla_alert(
        self, info: strawberry.Info, team_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Case, None]:
        ctx = info.context
        if team_id is None:
            me = _me(ctx)
            wanted = lambda p: p.get("assignee_id") == me  # noqa: E731
        else:
            team = await _team_gid(ctx, team_id)
            wanted = lambda p: p.get("team_id") == team  # noqa: E731
        alerts = frozenset({events.SLA_WARNING, events.SLA_BREACHED})
        async for row in _cases(ctx, alerts, wanted):
            yield Case.from_row(row)
