from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard, requires
from unicrm.core.authz.rows import where_visible
from unicrm.core.errors import DomainError
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import payload_errors
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query
from unicrm.core.messaging import models, services
from unicrm.core.messaging.loaders import message_scope
from unicrm.core.messaging.types import (
    ContactPolicyDecision,
    Message,
    MessageError,
    MessageErrorCode,
    MessageFilter,
    MessagePreview,
    MessagePurpose,
    MessageTemplate,
    Suppression,
)


@guard("core.message_template")
@strawberry.type
class MessagePreviewResult:
    errors: list[MessageError] = strawberry.field(
        description="Why the template cannot be rendered (line numbers in the messages)."
    )
    preview: MessagePreview | None = None


@strawberry.type
class MessagingQuery:
    @strawberry.field(metadata=requires("core.message:read"), description="One message by id.")
    async def message(self, info: strawberry.Info, id: strawberry.ID) -> Message | None:
        _, pk = parse_global_id(id, "Message")
        return await Message.load_node(info, pk)

    @strawberry.field(
        metadata=requires("core.message:read"),
        description="Every message, newest first, with optional filters.",
    )
    async def messages(
        self,
        info: strawberry.Info,
        filter: MessageFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Message]:
        ctx = info.context
        row = models.Message
        stmt = select(row).outerjoin(Customer, Customer.id == row.customer_id)
        stmt = where_visible(stmt, message_scope(ctx))
        if filter is not None:
            if filter.customer_id is not None:
                _, customer = parse_global_id(filter.customer_id, "Customer")
                stmt = stmt.where(row.customer_id == customer)
            if filter.channel is not None:
                stmt = stmt.where(row.channel == filter.channel)
            if filter.status is not None:
                stmt = stmt.where(row.status == models.MessageStatus(filter.status))
            if filter.purpose is not None:
                stmt = stmt.where(row.purpose == models.MessagePurpose(filter.purpose))
            if filter.sender_key is not None:
                stmt = stmt.where(row.sender_key == filter.sender_key)

        async def work(session: AsyncSession) -> Page[models.Message]:
            return await paginate(
                session,
                stmt,
                keys=[row.created_at, row.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.created_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Message.from_row, count_of(ctx.db, stmt))

    @strawberry.field(
        metadata=requires("core.message_template:read"),
        description="Templates by key, channel and locale; optionally of one key or channel.",
    )
    async def message_templates(
        self, info: strawberry.Info, key: str | None = None, channel: str | None = None
    ) -> list[MessageTemplate]:
        row = models.MessageTemplate
        stmt = select(row).order_by(row.key, row.channel, row.locale)
        if key is not None:
            stmt = stmt.where(row.key == key)
        if channel is not None:
            stmt = stmt.where(row.channel == channel)
        async with info.context.db.session() as session:
            rows = (await session.scalars(stmt)).all()
        return [MessageTemplate.from_row(r) for r in rows]

    @strawberry.field(
        metadata=requires("core.message_template:read"),
        description="Render a template for a customer. Declared variables missing from "
        "context show as [name].",
    )
    async def message_template_preview(
        self,
        info: strawberry.Info,
        template_key: str,
        customer_id: strawberry.ID,
        locale: str | None = None,
        channel: str = "email",
        context: JSON | None = None,
    ) -> MessagePreviewResult:
        async def work(session: AsyncSession) -> services.Preview:
            return await services.preview(
                session,
                template=template_key,
                customer_id=decode_id(customer_id, "Customer", "customer_id"),
                channel=channel,
                locale=locale,
                context=context if isinstance(context, dict) else None,
            )

        try:
            async with info.context.db.session() as session:
                shown = await work(session)
        except DomainError as error:
            return MessagePreviewResult(
                errors=payload_errors(error, MessageError, MessageErrorCode)
            )
        return MessagePreviewResult(
            errors=[],
            preview=MessagePreview(
                subject=shown.rendered.subject,
                text=shown.rendered.text,
                html=shown.rendered.html,
                locale=shown.template.locale,
                template=MessageTemplate.from_row(shown.template),
            ),
        )

    @strawberry.field(
        metadata=requires("core.message:read"),
        description="What the contact policy would decide for a send to the customer now.",
    )
    async def contact_policy_check(
        self,
        info: strawberry.Info,
        customer_id: strawberry.ID,
        channel: str,
        purpose: MessagePurpose,
    ) -> ContactPolicyDecision:
        _, pk = parse_global_id(customer_id, "Customer")

        async def work(session: AsyncSession) -> services.policy.Decision:
            return await services.check_policy(session, pk, channel, models.MessagePurpose(purpose))

        decision = await run_query(info, work)
        return ContactPolicyDecision(
            allowed=decision.allowed,
            code=decision.code,
            reason=decision.reason,
            deferred=decision.deferred,
            send_at=decision.send_at,
        )

    @strawberry.field(
        metadata=requires("core.message:read"),
        description="Suppressed addresses, newest first; optionally of one channel.",
    )
    async def suppressions(
        self,
        info: strawberry.Info,
        channel: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Suppression]:
        ctx = info.context
        row = models.Suppression
        stmt = select(row)
        if channel is not None:
            stmt = stmt.where(row.channel == channel)

        async def work(session: AsyncSession) -> Page[models.Suppression]:
            return await paginate(
                session,
                stmt,
                keys=[row.created_at, row.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.created_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Suppression.from_row, count_of(ctx.db, stmt))


QUERY = MessagingQuery
