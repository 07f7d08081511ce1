from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.plugins.crm import models
from unicrm.plugins.crm.graphql.calendar import calendar_view
from unicrm.plugins.crm.graphql.macros import MacroMutation
from unicrm.plugins.crm.graphql.types import (
    BusinessCalendar,
    BusinessCalendarPayload,
    Case,
    CaseAssignInput,
    CaseAttachmentInput,
    CaseError,
    CaseErrorCode,
    CaseEscalateInput,
    CaseMergeInput,
    CaseMessage,
    CaseMessageAddInput,
    CaseMessagePayload,
    CaseOpenInput,
    CasePayload,
    CaseStatusSetInput,
    CaseUpdateInput,
    HolidayInput,
    SlaError,
    SlaErrorCode,
    SlaPolicy,
    SlaPolicyPayload,
    SlaPolicySetInput,
    TechnicianVisit,
    TechnicianVisitPayload,
    TechnicianVisitUpdateInput,
    VisitError,
    VisitErrorCode,
    WorkingIntervalInput,
)
from unicrm.plugins.crm.graphql.voc import (
    NpsMutation,
    ReminderMutation,
    RetentionMutation,
    VocMutation,
)
from unicrm.plugins.crm.services import cases as services
from unicrm.plugins.crm.services import handoff, merge, sla


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
            return await services.open_case(session, data, info.context.settings.zone, scope)

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
            return await services.update_case(
                session, decode_id(input.id, "Case"), changes, info.context.settings.zone, scope
            )

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
                ctx.settings.zone,
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
                zone=ctx.settings.zone,
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

    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Merge a duplicate case into another of the same customer: its messages, "
        "attachments, status history and visits move; the duplicate is closed and points to "
        "the survivor; the merge is audited.",
    )
    async def case_merge(self, info: strawberry.Info, input: CaseMergeInput) -> CasePayload:
        ctx = info.context
        scope = services.visible_to(ctx, "write")

        async def work(session: AsyncSession) -> models.Case:
            return await merge.merge_cases(
                session,
                decode_id(input.source_id, "Case", "source_id"),
                decode_id(input.target_id, "Case", "target_id"),
                ctx.settings.zone,
                scope,
            )

        return await _case_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.sla:write"),
        description="Create or change the SLA policy of a priority/category pair (null: any); "
        "targets are working minutes above 0. Open cases get their due times again in a job.",
    )
    async def sla_policy_set(
        self, info: strawberry.Info, input: SlaPolicySetInput
    ) -> SlaPolicyPayload:
        async def work(session: AsyncSession) -> models.SlaPolicy:
            data = sla.PolicyData(
                name=input.name,
                priority=None
                if input.priority is None
                else models.CasePriority(input.priority.value),
                category=input.category,
                first_response_minutes=input.first_response_minutes,
                resolution_minutes=input.resolution_minutes,
                warn_before_minutes=input.warn_before_minutes,
            )
            return await sla.set_policy(session, data)

        return await mutate(
            info,
            work,
            payload=SlaPolicyPayload,
            error_type=SlaError,
            codes=SlaErrorCode,
            result=lambda policy: {"policy": SlaPolicy.from_row(policy)},
        )

    @strawberry.mutation(
        metadata=requires("crm.sla:write"),
        description="Delete an SLA policy; the open cases it covered fall to the next one "
        "(in a job).",
    )
    async def sla_policy_delete(self, info: strawberry.Info, id: strawberry.ID) -> SlaPolicyPayload:
        async def work(session: AsyncSession) -> None:
            await sla.delete_policy(session, decode_id(id, "SlaPolicy"))

        return await mutate(
            info,
            work,
            payload=SlaPolicyPayload,
            error_type=SlaError,
            codes=SlaErrorCode,
            result=lambda _: {},
        )

    @strawberry.mutation(
        metadata=requires("crm.sla:write"),
        description="Replace the week's working hours (business time zone); intervals of a "
        "weekday may not overlap; an end not after the start runs overnight.",
    )
    async def business_hours_set(
        self, info: strawberry.Info, hours: list[WorkingIntervalInput]
    ) -> BusinessCalendarPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> BusinessCalendar:
            intervals = [sla.Interval(h.weekday, h.start, h.end) for h in hours]
            await sla.set_business_hours(session, intervals)
            await sla.schedule_reapply(session)
            return await calendar_view(session, zone)

        return await _calendar_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.sla:write"), description="Make a day a holiday (no working hours)."
    )
    async def holiday_add(
        self, info: strawberry.Info, input: HolidayInput
    ) -> BusinessCalendarPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> BusinessCalendar:
            await sla.add_holiday(session, input.day, input.name)
            await sla.schedule_reapply(session)
            return await calendar_view(session, zone)

        return await _calendar_mutation(info, work)

    @strawberry.mutation(metadata=requires("crm.sla:write"), description="Remove a holiday.")
    async def holiday_remove(self, info: strawberry.Info, day: date) -> BusinessCalendarPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> BusinessCalendar:
            await sla.remove_holiday(session, day)
            await sla.schedule_reapply(session)
            return await calendar_view(session, zone)

        return await _calendar_mutation(info, work)


async def _calendar_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[BusinessCalendar]]
) -> BusinessCalendarPayload:
    return await mutate(
        info,
        work,
        payload=BusinessCalendarPayload,
        error_type=SlaError,
        codes=SlaErrorCode,
        result=lambda calendar: {"calendar": calendar},
    )


@strawberry.type
class HandoffMutation:
    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Hand a case to a technician team: books the technician (core bookings) "
        "inside the customer's preferred window and tells the customer on a channel their "
        "consent allows.",
    )
    async def case_escalate(
        self, info: strawberry.Info, input: CaseEscalateInput
    ) -> TechnicianVisitPayload:
        ctx = info.context
        scope = services.visible_to(ctx, "write")

        async def work(session: AsyncSession) -> models.TechnicianVisit:
            data = handoff.EscalationData(
                case_id=decode_id(input.case_id, "Case", "case_id"),
                team_id=decode_id(input.team_id, "Team", "team_id"),
                resource_id=decode_id(input.resource_id, "BookingResource", "resource_id"),
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                preferred_from=input.preferred_from,
                preferred_until=input.preferred_until,
                technician_id=_optional_id(input.technician_id, "User", "technician_id"),
                note=input.note,
            )
            return await handoff.escalate(
                session, data, ctx.settings.zone, ctx.settings.crm.reopen_days, scope
            )

        return await _visit_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("crm.case:write"),
        description="Report a visit's progress: en route, in progress, done (with its "
        "report) or cancelled (the booking is cancelled). The case gets it as a note.",
    )
    async def technician_visit_update(
        self, info: strawberry.Info, input: TechnicianVisitUpdateInput
    ) -> TechnicianVisitPayload:
        ctx = info.context
        scope = services.visible_to(ctx, "write")

        async def work(session: AsyncSession) -> models.TechnicianVisit:
            return await handoff.update_visit(
                session,
                decode_id(input.id, "TechnicianVisit"),
                models.VisitStatus(input.status.value),
                input.report,
                ctx.settings.zone,
                ctx.settings.crm.reopen_days,
                scope,
            )

        return await _visit_mutation(info, work)


async def _visit_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.TechnicianVisit]]
) -> TechnicianVisitPayload:
    return await mutate(
        info,
        work,
        payload=TechnicianVisitPayload,
        error_type=VisitError,
        codes=VisitErrorCode,
        result=lambda visit: {"visit": TechnicianVisit.from_row(visit)},
    )


@strawberry.type
class ServiceMutation(
    CrmMutation,
    HandoffMutation,
    MacroMutation,
    VocMutation,
    NpsMutation,
    RetentionMutation,
    ReminderMutation,
):
    """Every mutation of the plugin: cases, SLA and calendar, technician hand-off, macros,
    feedback categories, NPS surveys, retention and reminders."""
