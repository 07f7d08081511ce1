from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.errors import DomainError
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import in_transaction, mutate, payload_errors
from unicrm.core.messaging import models, services
from unicrm.core.messaging.types import (
    Message,
    MessageError,
    MessageErrorCode,
    MessageSendInput,
    MessageSendPayload,
    MessageTemplate,
    MessageTemplateCreateInput,
    MessageTemplatePayload,
    MessageTemplateUpdateInput,
    Suppression,
    SuppressionAddInput,
    SuppressionPayload,
)


def _template(row: models.MessageTemplate) -> dict[str, Any]:
    return {"template": MessageTemplate.from_row(row)}


def _suppression(row: models.Suppression) -> dict[str, Any]:
    return {"suppression": Suppression.from_row(row)}


def _blocked_error(message: models.Message) -> MessageError:
    code = MessageErrorCode.__members__.get(message.reason_code or "", MessageErrorCode.INVALID)
    return MessageError(
        field="customerId", code=code, message=message.reason or "blocked by the contact policy"
    )


@strawberry.type
class MessagingMutation:
    @strawberry.mutation(
        metadata=requires("core.message_template:write"),
        description="Create a template; a syntax error or an undeclared variable is an error "
        "naming the line, and nothing is saved.",
    )
    async def message_template_create(
        self, info: strawberry.Info, input: MessageTemplateCreateInput
    ) -> MessageTemplatePayload:
        data = services.TemplateData(
            key=input.key.strip(),
            channel=input.channel.strip(),
            locale=input.locale.strip(),
            text_body=input.text_body,
            subject=input.subject,
            html_body=input.html_body or None,
            variables=tuple(input.variables),
        )

        async def work(session: AsyncSession) -> models.MessageTemplate:
            return await services.create_template(session, data)

        return await mutate(
            info,
            work,
            payload=MessageTemplatePayload,
            error_type=MessageError,
            codes=MessageErrorCode,
            result=_template,
        )

    @strawberry.mutation(
        metadata=requires("core.message_template:write"),
        description="Change a template's subject, bodies or variables; its version grows by one.",
    )
    async def message_template_update(
        self, info: strawberry.Info, input: MessageTemplateUpdateInput
    ) -> MessageTemplatePayload:
        async def work(session: AsyncSession) -> models.MessageTemplate:
            return await services.update_template(
                session,
                decode_id(input.id, "MessageTemplate"),
                subject=input.subject,
                text_body=input.text_body,
                html_body=input.html_body,
                variables=None if input.variables is None else tuple(input.variables),
            )

        return await mutate(
            info,
            work,
            payload=MessageTemplatePayload,
            error_type=MessageError,
            codes=MessageErrorCode,
            result=_template,
        )

    @strawberry.mutation(
        metadata=requires("core.message_template:write"),
        description="Delete a template; messages sent with it keep its key and version.",
    )
    async def message_template_delete(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> MessageTemplatePayload:
        async def work(session: AsyncSession) -> models.MessageTemplate:
            return await services.delete_template(session, decode_id(id, "MessageTemplate"))

        return await mutate(
            info,
            work,
            payload=MessageTemplatePayload,
            error_type=MessageError,
            codes=MessageErrorCode,
            result=_template,
        )

    @strawberry.mutation(
        metadata=requires("core.message:write"),
        description="Send one message to one customer through the contact policy. A repeat "
        "with the same sender key returns the first message. A refused send is recorded "
        "blocked: blocked is true and errors say why.",
    )
    async def message_send(
        self, info: strawberry.Info, input: MessageSendInput
    ) -> MessageSendPayload:
        async def work(session: AsyncSession) -> models.Message:
            if input.context is not None and not isinstance(input.context, dict):
                raise DomainError.single("INVALID", "context must be an object", "context")
            return await services.send(
                session,
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                channel=input.channel.strip(),
                purpose=models.MessagePurpose(input.purpose),
                template=input.template_key.strip(),
                sender_key=input.sender_key.strip(),
                context=input.context,
                locale=input.locale,
            )

        outcome = await in_transaction(info, work)
        if isinstance(outcome, DomainError):
            return MessageSendPayload(
                errors=payload_errors(outcome, MessageError, MessageErrorCode)
            )
        blocked = outcome.status is models.MessageStatus.BLOCKED
        return MessageSendPayload(
            errors=[_blocked_error(outcome)] if blocked else [],
            message=Message.from_row(outcome),
            blocked=blocked,
        )

    @strawberry.mutation(
        metadata=requires("core.message:write"),
        description="Suppress an address on a channel (reason MANUAL), for one purpose or all.",
    )
    async def suppression_add(
        self, info: strawberry.Info, input: SuppressionAddInput
    ) -> SuppressionPayload:
        async def work(session: AsyncSession) -> models.Suppression:
            return await services.add_suppression(
                session,
                channel=input.channel.strip(),
                address=input.address,
                purpose=None if input.purpose is None else models.MessagePurpose(input.purpose),
                note=input.note,
            )

        return await mutate(
            info,
            work,
            payload=SuppressionPayload,
            error_type=MessageError,
            codes=MessageErrorCode,
            result=_suppression,
        )

    @strawberry.mutation(
        metadata=requires("core.message:write"),
        description="Lift a suppression. Those of erased customers stay.",
    )
    async def suppression_remove(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> SuppressionPayload:
        async def work(session: AsyncSession) -> models.Suppression:
            return await services.remove_suppression(session, decode_id(id, "Suppression"))

        return await mutate(
            info,
            work,
            payload=SuppressionPayload,
            error_type=MessageError,
            codes=MessageErrorCode,
            result=_suppression,
        )


MUTATION = MessagingMutation
