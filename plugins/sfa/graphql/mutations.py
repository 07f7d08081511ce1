"""SFA's mutations: pipelines and stages, deals, their stage moves and contacts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.products.types import to_price
from unicrm.core.graph.scalars import MoneyInput
from unicrm.plugins.sfa import models
from unicrm.plugins.sfa.graphql.inputs import (
    ActivityCompleteInput,
    ActivityError,
    ActivityErrorCode,
    ActivityLogInput,
    ActivityPayload,
    AssignmentRuleCreateInput,
    AssignmentRulePayload,
    DealAssignInput,
    DealAutoAssignInput,
    DealContactRemoveInput,
    DealContactSetInput,
    DealCreateInput,
    DealError,
    DealErrorCode,
    DealHandOffInput,
    DealMoveStageInput,
    DealPayload,
    DealUpdateInput,
    PipelineCreateInput,
    PipelineError,
    PipelineErrorCode,
    PipelinePayload,
    PipelineStageAddInput,
    PipelineStageArchiveInput,
    PipelineStagePayload,
    PipelineStageUpdateInput,
    QuoteAcceptInput,
    QuoteAcceptPayload,
    QuoteCreateInput,
    QuoteError,
    QuoteErrorCode,
    QuoteIdInput,
    QuoteLineInput,
    QuotePayload,
    QuoteUpdateInput,
)
from unicrm.plugins.sfa.graphql.types import (
    Activity,
    AssignmentRule,
    Deal,
    Pipeline,
    PipelineStage,
    Quote,
)
from unicrm.plugins.sfa.services import activities, assignment, deals, pipelines, quotes


def _optional_id(value: str | None, type_name: str, field: str) -> Any:
    return None if value is None else decode_id(value, type_name, field)


def _given(value: Any, convert: Callable[[Any], Any]) -> Any:
    if value is strawberry.UNSET:
        return deals.UNSET
    return None if value is None else convert(value)


def _contacts(input: DealCreateInput) -> list[deals.ContactSpec]:
    errors: list[FieldError] = []
    found: list[deals.ContactSpec] = []
    for i, contact in enumerate(input.contacts):
        try:
            pk = decode_id(contact.customer_id, "Customer", f"contacts.{i}.customer_id")
        except DomainError as error:
            errors += error.errors
            continue
        found.append(deals.ContactSpec(pk, models.ContactRole(contact.role.value)))
    if errors:
        raise DomainError(*errors)
    return found


async def _pipeline_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Pipeline]]
) -> PipelinePayload:
    return await mutate(
        info,
        work,
        payload=PipelinePayload,
        error_type=PipelineError,
        codes=PipelineErrorCode,
        result=lambda row: {"pipeline": Pipeline.from_row(row)},
    )


async def _stage_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Stage]]
) -> PipelineStagePayload:
    return await mutate(
        info,
        work,
        payload=PipelineStagePayload,
        error_type=PipelineError,
        codes=PipelineErrorCode,
        result=lambda row: {"stage": PipelineStage.from_row(row)},
    )


async def _deal_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Deal]]
) -> DealPayload:
    return await mutate(
        info,
        work,
        payload=DealPayload,
        error_type=DealError,
        codes=DealErrorCode,
        result=lambda row: {"deal": Deal.from_row(row)},
    )


async def _activity_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Activity]]
) -> ActivityPayload:
    return await mutate(
        info,
        work,
        payload=ActivityPayload,
        error_type=ActivityError,
        codes=ActivityErrorCode,
        result=lambda row: {"activity": Activity.from_row(row)},
    )


def _lines(lines: list[QuoteLineInput]) -> list[quotes.LineInput]:
    errors: list[FieldError] = []
    found: list[quotes.LineInput] = []
    for i, line in enumerate(lines):
        try:
            pk = decode_id(line.product_id, "Product", f"lines.{i}.product_id")
        except DomainError as error:
            errors += error.errors
            continue
        found.append(
            quotes.LineInput(
                pk, line.quantity, line.unit_price, line.discount_percent, line.discount_amount
            )
        )
    if errors:
        raise DomainError(*errors)
    return found


async def _quote_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Quote]]
) -> QuotePayload:
    return await mutate(
        info,
        work,
        payload=QuotePayload,
        error_type=QuoteError,
        codes=QuoteErrorCode,
        result=lambda row: {"quote": Quote.from_row(row)},
    )


@strawberry.type
class SfaMutation:
    @strawberry.mutation(
        metadata=requires("sfa.pipeline:write"),
        description="Create a pipeline with its ordered stages.",
    )
    async def pipeline_create(
        self, info: strawberry.Info, input: PipelineCreateInput
    ) -> PipelinePayload:
        specs = [
            pipelines.StageSpec(s.name, s.probability, models.StageKind(s.kind.value))
            for s in input.stages
        ]

        async def work(session: AsyncSession) -> models.Pipeline:
            return await pipelines.create_pipeline(
                session, input.name, specs, is_default=input.is_default
            )

        return await _pipeline_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.pipeline:write"),
        description="Add a stage to a pipeline, at a position or at the end.",
    )
    async def pipeline_stage_add(
        self, info: strawberry.Info, input: PipelineStageAddInput
    ) -> PipelineStagePayload:
        async def work(session: AsyncSession) -> models.Stage:
            return await pipelines.add_stage(
                session,
                decode_id(input.pipeline_id, "Pipeline", "pipeline_id"),
                pipelines.StageSpec(
                    input.name, input.probability, models.StageKind(input.kind.value)
                ),
                input.position,
            )

        return await _stage_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.pipeline:write"),
        description="Rename, re-weight or move a stage; deal histories keep pointing at it.",
    )
    async def pipeline_stage_update(
        self, info: strawberry.Info, input: PipelineStageUpdateInput
    ) -> PipelineStagePayload:
        async def work(session: AsyncSession) -> models.Stage:
            return await pipelines.update_stage(
                session,
                decode_id(input.id, "PipelineStage"),
                name=input.name,
                probability=input.probability,
                position=input.position,
            )

        return await _stage_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.pipeline:write"),
        description="Take an empty stage off the board (kept for the history).",
    )
    async def pipeline_stage_archive(
        self, info: strawberry.Info, input: PipelineStageArchiveInput
    ) -> PipelineStagePayload:
        async def work(session: AsyncSession) -> models.Stage:
            return await pipelines.archive_stage(session, decode_id(input.id, "PipelineStage"))

        return await _stage_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"),
        description="Open a deal with a customer in a pipeline's first open stage.",
    )
    async def deal_create(self, info: strawberry.Info, input: DealCreateInput) -> DealPayload:
        ctx = info.context
        currency = ctx.state.settings.currency

        async def work(session: AsyncSession) -> models.Deal:
            data = deals.DealData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                title=input.title,
                amount=None if input.amount is None else to_price(input.amount, currency),
                pipeline_id=_optional_id(input.pipeline_id, "Pipeline", "pipeline_id"),
                stage_id=_optional_id(input.stage_id, "PipelineStage", "stage_id"),
                company_id=_optional_id(input.company_id, "Customer", "company_id"),
                owner_id=_optional_id(input.owner_id, "User", "owner_id") or ctx.actor.user_id,
                team_id=_optional_id(input.team_id, "Team", "team_id"),
                source=models.DealSource(input.source.value),
                expected_close_date=input.expected_close_date,
                next_step=input.next_step,
                contacts=_contacts(input),
            )
            return await deals.create_deal(session, data)

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"),
        description="Change a deal's details; send expectedVersion to refuse stale edits.",
    )
    async def deal_update(self, info: strawberry.Info, input: DealUpdateInput) -> DealPayload:
        ctx = info.context
        currency = ctx.state.settings.currency

        def price(value: MoneyInput) -> Any:
            return to_price(value, currency)

        async def work(session: AsyncSession) -> models.Deal:
            return await deals.update_deal(
                session,
                decode_id(input.id, "Deal"),
                scope=deals.visible_to(ctx, "write"),
                expected_version=input.expected_version,
                title=_given(input.title, str),
                amount=_given(input.amount, price),
                expected_close_date=_given(input.expected_close_date, lambda d: d),
                next_step=_given(input.next_step, str),
                company_id=_given(
                    input.company_id, lambda v: decode_id(v, "Customer", "company_id")
                ),
                team_id=_given(input.team_id, lambda v: decode_id(v, "Team", "team_id")),
            )

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"),
        description="Move a deal to another stage of its pipeline; a lost stage needs a "
        "reason. The move is kept in the deal's stage history.",
    )
    async def deal_move_stage(
        self, info: strawberry.Info, input: DealMoveStageInput
    ) -> DealPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Deal:
            return await deals.move_stage(
                session,
                decode_id(input.id, "Deal"),
                decode_id(input.stage_id, "PipelineStage", "stage_id"),
                expected_version=input.expected_version,
                lost_reason=input.lost_reason,
                scope=deals.visible_to(ctx, "write"),
            )

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"),
        description="Add a person to a deal with a role, or change their role.",
    )
    async def deal_contact_set(
        self, info: strawberry.Info, input: DealContactSetInput
    ) -> DealPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Deal:
            return await deals.set_contact(
                session,
                decode_id(input.deal_id, "Deal", "deal_id"),
                deals.ContactSpec(
                    decode_id(input.customer_id, "Customer", "customer_id"),
                    models.ContactRole(input.role.value),
                ),
                deals.visible_to(ctx, "write"),
            )

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"), description="Remove a person from a deal."
    )
    async def deal_contact_remove(
        self, info: strawberry.Info, input: DealContactRemoveInput
    ) -> DealPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Deal:
            return await deals.remove_contact(
                session,
                decode_id(input.deal_id, "Deal", "deal_id"),
                decode_id(input.customer_id, "Customer", "customer_id"),
                deals.visible_to(ctx, "write"),
            )

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.activity:write"),
        description="Log a call, meeting, visit or e-mail with a customer, or give someone a "
        "task with a due time and a reminder; it appears on the customer's timeline.",
    )
    async def activity_log(self, info: strawberry.Info, input: ActivityLogInput) -> ActivityPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Activity:
            check_in = input.check_in
            data = activities.ActivityData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                kind=models.ActivityKind(input.kind.value),
                subject=input.subject,
                deal_id=_optional_id(input.deal_id, "Deal", "deal_id"),
                notes=input.notes,
                owner_id=_optional_id(input.owner_id, "User", "owner_id") or ctx.actor.user_id,
                occurred_at=input.occurred_at,
                duration_minutes=input.duration_minutes,
                video_url=input.video_url,
                check_in=None
                if check_in is None
                else activities.CheckIn(check_in.latitude, check_in.longitude, check_in.label),
                due_at=input.due_at,
                remind_at=input.remind_at,
            )
            return await activities.log_activity(
                session, data, activities.customers_visible_to(ctx)
            )

        return await _activity_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.activity:write"), description="Mark a task done (once)."
    )
    async def activity_complete(
        self, info: strawberry.Info, input: ActivityCompleteInput
    ) -> ActivityPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Activity:
            return await activities.complete_task(
                session, decode_id(input.id, "Activity"), activities.visible_to(ctx, "write")
            )

        return await _activity_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.quote:write"),
        description="Draft version 1 of a quote for a deal from catalogue products.",
    )
    async def quote_create(self, info: strawberry.Info, input: QuoteCreateInput) -> QuotePayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Quote:
            return await quotes.create_quote(
                session,
                decode_id(input.deal_id, "Deal", "deal_id"),
                _lines(input.lines),
                quotes.QuoteTerms(
                    input.valid_until,
                    input.prices_include_vat,
                    input.vat_rate,
                    input.delivery_lead_days,
                ),
                deals.visible_to(ctx, "write"),
            )

        return await _quote_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.quote:write"),
        description="Change a draft's terms (those given) and replace its lines (when given).",
    )
    async def quote_update(self, info: strawberry.Info, input: QuoteUpdateInput) -> QuotePayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Quote:
            return await quotes.update_quote(
                session,
                decode_id(input.id, "Quote"),
                None if input.lines is None else _lines(input.lines),
                quotes.TermChanges(
                    input.valid_until,
                    input.prices_include_vat,
                    input.vat_rate,
                    input.delivery_lead_days,
                ),
                quotes.visible_to(ctx, "write"),
            )

        return await _quote_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.quote:write"),
        description="A new draft version copied from the quote's latest version.",
    )
    async def quote_new_version(self, info: strawberry.Info, input: QuoteIdInput) -> QuotePayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Quote:
            return await quotes.new_version(
                session, decode_id(input.id, "Quote"), quotes.visible_to(ctx, "write")
            )

        return await _quote_mutation(info, work)

    @strawberry.mutation(metadata=requires("sfa.quote:write"), description="Send a draft.")
    async def quote_send(self, info: strawberry.Info, input: QuoteIdInput) -> QuotePayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Quote:
            return await quotes.send_quote(
                session, decode_id(input.id, "Quote"), quotes.visible_to(ctx, "write")
            )

        return await _quote_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.quote:write"), description="Record that the customer said no."
    )
    async def quote_reject(self, info: strawberry.Info, input: QuoteIdInput) -> QuotePayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Quote:
            return await quotes.reject_quote(
                session, decode_id(input.id, "Quote"), quotes.visible_to(ctx, "write")
            )

        return await _quote_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.quote:write"),
        description="Accept a sent quote: places the core order, sets the deal's amount to the "
        "quote's total and records the delivery date. An expired quote is refused.",
    )
    async def quote_accept(
        self, info: strawberry.Info, input: QuoteAcceptInput
    ) -> QuoteAcceptPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> quotes.Accepted:
            return await quotes.accept_quote(
                session,
                decode_id(input.id, "Quote"),
                quotes.visible_to(ctx, "write"),
                input.delivery_date,
            )

        return await mutate(
            info,
            work,
            payload=QuoteAcceptPayload,
            error_type=QuoteError,
            codes=QuoteErrorCode,
            result=lambda done: {
                "quote": Quote.from_row(done.quote),
                "deal": Deal.from_row(done.deal),
            },
        )

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"),
        description="Give a deal to another owner; kept in its history, the owner is notified.",
    )
    async def deal_assign(self, info: strawberry.Info, input: DealAssignInput) -> DealPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Deal:
            return await assignment.assign(
                session,
                decode_id(input.id, "Deal"),
                decode_id(input.owner_id, "User", "owner_id"),
                expected_version=input.expected_version,
                scope=deals.visible_to(ctx, "write"),
            )

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"),
        description="Hand a qualified deal to a field rep with a note (inside → field sales).",
    )
    async def deal_hand_off(self, info: strawberry.Info, input: DealHandOffInput) -> DealPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Deal:
            return await assignment.hand_off(
                session,
                decode_id(input.id, "Deal"),
                decode_id(input.owner_id, "User", "owner_id"),
                input.note,
                expected_version=input.expected_version,
                scope=deals.visible_to(ctx, "write"),
            )

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.deal:write"),
        description="Assign a deal by the first active assignment rule that finds an owner.",
    )
    async def deal_auto_assign(
        self, info: strawberry.Info, input: DealAutoAssignInput
    ) -> DealPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Deal:
            return await assignment.auto_assign(
                session, decode_id(input.id, "Deal"), deals.visible_to(ctx, "write")
            )

        return await _deal_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("sfa.assignment_rule:write"),
        description="Add an assignment rule after the existing ones.",
    )
    async def assignment_rule_create(
        self, info: strawberry.Info, input: AssignmentRuleCreateInput
    ) -> AssignmentRulePayload:
        async def work(session: AsyncSession) -> models.AssignmentRule:
            return await assignment.create_rule(
                session,
                input.name,
                models.RuleKind(input.kind.value),
                _optional_id(input.team_id, "Team", "team_id"),
            )

        return await mutate(
            info,
            work,
            payload=AssignmentRulePayload,
            error_type=PipelineError,
            codes=PipelineErrorCode,
            result=lambda row: {"rule": AssignmentRule.from_row(row)},
        )
