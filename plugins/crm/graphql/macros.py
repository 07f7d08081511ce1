"""Macros (canned responses) in GraphQL: the listing, create/update/delete, and applying one
to a case (services/macros.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import guard, requires
from unicrm.core.graph.ids import decode_id, to_global_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.node import Node
from unicrm.core.graph.queries import run_query
from unicrm.plugins.crm import models
from unicrm.plugins.crm.graphql.types import (
    Case,
    CaseError,
    CaseErrorCode,
    CaseMessage,
    CaseMessagePayload,
    CasePriority,
    CaseStatus,
)
from unicrm.plugins.crm.services import cases, macros


@guard("crm.macro")
@strawberry.type(
    description="A canned response: a reply with variables, and the fields applying it sets."
)
class Macro(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    body: str = strawberry.field(
        description="The reply, in the message-template language: customer.<field>, "
        "case_subject, case_tag, agent_name."
    )
    set_status: CaseStatus | None
    set_priority: CasePriority | None
    set_category: str | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Macro) -> Macro:
        return cls(
            id=strawberry.ID(to_global_id("Macro", row.id)),
            pk=row.id,
            name=row.name,
            body=row.body,
            set_status=None if row.set_status is None else CaseStatus(row.set_status.value),
            set_priority=None if row.set_priority is None else CasePriority(row.set_priority.value),
            set_category=row.set_category,
            updated_at=row.updated_at,
        )


@strawberry.enum(description="Why a macro mutation failed.")
class MacroErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    TEMPLATE_SYNTAX = "template_syntax"
    UNKNOWN_VARIABLE = "unknown_variable"


@strawberry.type
class MacroError:
    field: str | None
    code: MacroErrorCode
    message: str


@strawberry.type
class MacroPayload:
    errors: list[MacroError]
    macro: Macro | None = None


@strawberry.input(description="A macro: its name, reply body and the fields it sets.")
class MacroInput:
    name: str
    body: str
    set_status: CaseStatus | None = strawberry.field(
        default=None, description="Move the case after the reply (not CLOSED)."
    )
    set_priority: CasePriority | None = None
    set_category: str | None = None


@strawberry.input
class CaseMacroApplyInput:
    case_id: strawberry.ID
    macro_id: strawberry.ID


def _data(input: MacroInput) -> macros.MacroData:
    return macros.MacroData(
        name=input.name,
        body=input.body,
        set_status=None if input.set_status is None else models.CaseStatus(input.set_status.value),
        set_priority=None
        if input.set_priority is None
        else models.CasePriority(input.set_priority.value),
        set_category=input.set_category,
    )


async def _macro_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Macro]]
) -> MacroPayload:
    return await mutate(
        info,
        work,
        payload=MacroPayload,
        error_type=MacroError,
        codes=MacroErrorCode,
        result=lambda macro: {"macro": Macro.from_row(macro)},
    )


@strawberry.type
class MacroQuery:
    @strawberry.field(metadata=requires("crm.macro:read"), description="Every macro, by name.")
    async def macros(self, info: strawberry.Info) -> list[Macro]:
        async def work(session: AsyncSession) -> list[models.Macro]:
            return list(await session.scalars(select(models.Macro).order_by(models.Macro.name)))

        return [Macro.from_row(m) for m in await run_query(info, work)]


@strawberry.type
class MacroMutation:
    @strawberry.mutation(
        metadata=requires("crm.macro:write"),
        description="Create a macro; the body is checked like a message template.",
    )
    async def macro_create(self, info: strawberry.Info, input: MacroInput) -> MacroPayload:
        async def work(session: AsyncSession) -> models.Macro:
            return await macros.create_macro(session, _data(input))

        return await _macro_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.macro:write"),
        description="Replace a macro's name, body and the fields it sets.",
    )
    async def macro_update(
        self, info: strawberry.Info, id: strawberry.ID, input: MacroInput
    ) -> MacroPayload:
        async def work(session: AsyncSession) -> models.Macro:
            return await macros.update_macro(session, decode_id(id, "Macro"), _data(input))

        return await _macro_mutation(info, work)

    @strawberry.mutation(metadata=requires("crm.macro:write"), description="Delete a macro.")
    async def macro_delete(self, info: strawberry.Info, id: strawberry.ID) -> MacroPayload:
        async def work(session: AsyncSession) -> models.Macro:
            return await macros.delete_macro(session, decode_id(id, "Macro"))

        return await _macro_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Apply a macro to a case: its reply is added (and e-mailed to the "
        "customer), then its priority, category and status are set.",
    )
    async def case_macro_apply(
        self, info: strawberry.Info, input: CaseMacroApplyInput
    ) -> CaseMessagePayload:
        ctx = info.context
        scope = cases.visible_to(ctx, "write")

        async def work(session: AsyncSession) -> tuple[models.CaseMessage, models.Case]:
            case_id = decode_id(input.case_id, "Case", "case_id")
            message = await macros.apply_macro(
                session,
                case_id,
                decode_id(input.macro_id, "Macro", "macro_id"),
                reopen_days=ctx.settings.crm.reopen_days,
                zone=ctx.settings.zone,
                scope=scope,
            )
            return message, await cases.get_case(session, case_id, for_update=False)

        return await mutate(
            info,
            work,
            payload=CaseMessagePayload,
            error_type=CaseError,
            codes=CaseErrorCode,
            result=lambda done: {
                "message": CaseMessage.from_row(done[0]),
                "case": Case.from_row(done[1]),
            },
        )
