from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.plugins.crm import models
from unicrm.plugins.crm.graphql.types import (
    Case,
    CaseAssignInput,
    CaseAttachmentInput,
    CaseError,
    CaseErrorCode,
    CaseMessage,
    CaseMessageAddInput,
    CaseMessagePayload,
    CaseOpenInput,
    CasePayload,
    CaseStatusSetInput,
    CaseUpdateInput,
)
from unicrm.plugins.crm.services import cases as services


def _optional_id(value: str | None, type_name: str, field: str) -> Any:
    return None if value is None else decode_id(value, type_name, field)


def _given_id(value: Any, type_name: str, field: str) -> Any:
    return services.UNSET if value is strawberry.UNSET else _optional_id(value, type_name, field)


def _given(value: Any) -> Any:
    return services.UNSET if value is strawberry.UNSET else value


def _files(items: list[CaseAttachmentInput]) -> list[services.AttachmentData]:
    return [services.AttachmentData(i.filename, i.content_type, i.size_bytes, i.url) for i in items]


async def _case_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Case]]
) -> CasePayload:
    return await mutate(
        info,
        work,
        payload=CasePayload,
        error_type=CaseError,
        codes=CaseErrorCode,
        result=lambda case: {"case": Case.from_row(case)},
    )


@strawberry.type
class CrmMutation:
    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Open a case for a customer, in a queue (the caller's primary team by "
        "default); the assignee is notified. See docs/service.md.",
    )
    async def case_open(self, info: strawberry.Info, input: CaseOpenInput) -> CasePayload:
        scope = services.visible_to(info.context, "write")

        async def work(session: AsyncSession) -> models.Case:
            data = services.CaseData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                subject=input.subject,
                channel=models.CaseChannel(input.channel.value),
                priority=models.CasePriority(input.priority.value),
                description=input.description,
                category=input.category,
                team_id=_optional_id(input.team_id, "Team", "team_id"),
                assignee_id=_optional_id(input.assignee_id, "User", "assignee_id"),
                product_id=_optional_id(input.product_id, "Product", "product_id"),
                asset_id=_optional_id(input.asset_id, "Asset", "asset_id"),
                serial_number=input.serial_number,
                order_id=_optional_id(input.order_id, "Order", "order_id"),
                attachments=_files(input.attachments),
            )
            return await services.open_case(session, data, scope)

        return await _case_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Change a case's subject, description, category, priority, product, "
        "item or order. A closed case is read-only.",
    )
    async def case_update(self, info: strawberry.Info, input: CaseUpdateInput) -> CasePayload:
        scope = services.visible_to(info.context, "write")

        async def work(session: AsyncSession) -> models.Case:
            priority = _given(input.priority)
            changes = services.CaseChanges(
                subject=_given(input.subject),
                description=_given(input.description),
                category=_given(input.category),
                priority=priority
                if priority is services.UNSET or priority is None
                else models.CasePriority(priority.value),
                product_id=_given_id(input.product_id, "Product", "product_id"),
                asset_id=_given_id(input.asset_id, "Asset", "asset_id"),
                serial_number=_given(input.serial_number),
                order_id=_given_id(input.order_id, "Order", "order_id"),
            )
            return await services.update_case(session, decode_id(input.id, "Case"), changes, scope)

        return await _case_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Move a case to a queue and/or an agent of that queue, who is notified.",
    )
    async def case_assign(self, info: strawberry.Info, input: CaseAssignInput) -> CasePayload:
        scope = services.visible_to(info.context, "write")

        async def work(session: AsyncSession) -> models.Case:
            return await services.assign_case(
                session,
                decode_id(input.id, "Case"),
                _optional_id(input.team_id, "Team", "team_id"),
                _optional_id(input.assignee_id, "User", "assignee_id"),
                scope,
            )

        return await _case_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Move a case along new → open → pending → resolved → closed; a closed "
        "case reopens only within crm.reopen_days.",
    )
    async def case_status_set(
        self, info: strawberry.Info, input: CaseStatusSetInput
    ) -> CasePayload:
        ctx = info.context
        scope = services.visible_to(ctx, "write")

        async def work(session: AsyncSession) -> models.Case:
            return await services.change_status(
                session,
                decode_id(input.id, "Case"),
                models.CaseStatus(input.status.value),
                ctx.settings.crm.reopen_days,
                scope,
            )

        return await _case_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Add a customer message, a public reply or an internal note to a case "
        "that is not closed, with attachment metadata.",
    )
    async def case_message_add(
        self, info: strawberry.Info, input: CaseMessageAddInput
    ) -> CaseMessagePayload:
        ctx = info.context
        scope = services.visible_to(ctx, "write")

        async def work(session: AsyncSession) -> tuple[models.CaseMessage, models.Case]:
            case_id = decode_id(input.case_id, "Case", "case_id")
            message = await services.add_message(
                session,
                case_id,
                models.CaseMessageKind(input.kind.value),
                input.body,
                attachments=_files(input.attachments),
                then_status=None
                if input.then_status is None
                else models.CaseStatus(input.then_status.value),
                reopen_days=ctx.settings.crm.reopen_days,
                scope=scope,
            )
            return message, await services.get_case(session, case_id, for_update=False)

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
