from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.customers.services import visible_to
from unicrm.core.graph.ids import decode_id, to_global_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.segments import models, services
from unicrm.core.segments.csv_import import CsvMatch, match_csv
from unicrm.core.segments.requests import allowed_for, catalog_for
from unicrm.core.segments.types import (
    Segment,
    SegmentCreateInput,
    SegmentCsvProblem,
    SegmentCsvRow,
    SegmentDeletePayload,
    SegmentError,
    SegmentErrorCode,
    SegmentIdInput,
    SegmentMembersImportCsvInput,
    SegmentMembersImportPayload,
    SegmentMembersInput,
    SegmentMembersPayload,
    SegmentPayload,
    SegmentRefreshPayload,
    SegmentTagRule,
    SegmentTagRuleCreateInput,
    SegmentTagRulePayload,
    SegmentUpdateInput,
    to_definition,
)

ERRORS: dict[str, Any] = {"error_type": SegmentError, "codes": SegmentErrorCode}


def _segment(row: models.Segment) -> dict[str, Any]:
    return {"segment": Segment.from_row(row)}


async def _writable(
    info: strawberry.Info, session: AsyncSession, global_id: str, field: str
) -> models.Segment:
    """The segment to change, locked, within the actor's write scope of core.segment."""
    pk = decode_id(global_id, "Segment", field)
    scope = services.visible_segments(info.context, "write")
    return await services.get_segment(session, pk, scope, for_update=True, field=field)


def _customer_ids(ids: list[strawberry.ID]) -> list[uuid.UUID]:
    errors: list[FieldError] = []
    found: list[uuid.UUID] = []
    for i, global_id in enumerate(ids):
        try:
            found.append(decode_id(global_id, "Customer", f"customer_ids.{i}"))
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    return found


@strawberry.type
class SegmentMutation:
    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Save a segment. A dynamic one is refreshed at once; a definition that "
        "does not validate is refused with errors at their paths (definition.and.1.value).",
    )
    async def segment_create(
        self, info: strawberry.Info, input: SegmentCreateInput
    ) -> SegmentPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Segment:
            data = services.SegmentData(
                name=input.name,
                description=input.description,
                kind=models.SegmentKind(input.kind.value),
                definition=None if input.definition is None else to_definition(input.definition),
                refresh_minutes=input.refresh_minutes,
            )
            return await services.create_segment(
                session,
                data,
                catalog_for(ctx),
                department_id=ctx.department.id,
                created_by=ctx.actor.user_id,
                allowed=allowed_for(ctx),
            )

        return await mutate(info, work, payload=SegmentPayload, result=_segment, **ERRORS)

    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Change a segment; a new definition refreshes its members at once.",
    )
    async def segment_update(
        self, info: strawberry.Info, input: SegmentUpdateInput
    ) -> SegmentPayload:
        ctx = info.context

        async def work(session: AsyncSession) -> models.Segment:
            data = services.SegmentData(
                name=input.name,
                description=input.description,
                definition=None if input.definition is None else to_definition(input.definition),
                refresh_minutes=input.refresh_minutes,
            )
            return await services.update_segment(
                session,
                decode_id(input.id, "Segment"),
                data,
                catalog_for(ctx),
                services.visible_segments(ctx, "write"),
                allowed=allowed_for(ctx),
            )

        return await mutate(info, work, payload=SegmentPayload, result=_segment, **ERRORS)

    @strawberry.mutation(
        metadata=requires("core.segment:delete"),
        description="Delete a segment with its memberships and tag rules.",
    )
    async def segment_delete(
        self, info: strawberry.Info, input: SegmentIdInput
    ) -> SegmentDeletePayload:
        async def work(session: AsyncSession) -> uuid.UUID:
            scope = services.visible_segments(info.context, "delete")
            return await services.delete_segment(session, decode_id(input.id, "Segment"), scope)

        return await mutate(
            info,
            work,
            payload=SegmentDeletePayload,
            result=lambda pk: {"deleted_id": strawberry.ID(to_global_id("Segment", pk))},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Refresh a segment's members now; entered and exited say how many changed.",
    )
    async def segment_refresh(
        self, info: strawberry.Info, input: SegmentIdInput
    ) -> SegmentRefreshPayload:
        async def work(session: AsyncSession) -> services.RefreshResult:
            segment = await _writable(info, session, input.id, "id")
            return await services.refresh_segment(session, segment, catalog_for(info.context))

        return await mutate(
            info,
            work,
            payload=SegmentRefreshPayload,
            result=lambda r: {
                "segment": Segment.from_row(r.segment),
                "entered": r.entered,
                "exited": r.exited,
            },
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Add customers to a static segment; members already in it stay as they are.",
    )
    async def segment_members_add(
        self, info: strawberry.Info, input: SegmentMembersInput
    ) -> SegmentMembersPayload:
        return await _change_members(info, input, services.add_members)

    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Remove customers from a static segment.",
    )
    async def segment_members_remove(
        self, info: strawberry.Info, input: SegmentMembersInput
    ) -> SegmentMembersPayload:
        return await _change_members(info, input, services.remove_members)

    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Add (or with remove: true, remove) the customers a CSV text names to a "
        "static segment. Rows naming no customer are reported in `unmatched`, line by line.",
    )
    async def segment_members_import_csv(
        self, info: strawberry.Info, input: SegmentMembersImportCsvInput
    ) -> SegmentMembersImportPayload:
        async def work(session: AsyncSession) -> tuple[models.Segment, CsvMatch, int]:
            segment = await _writable(info, session, input.segment_id, "segment_id")
            services.check_static(segment)
            found = await match_csv(session, input.csv, visible_to(info.context))
            change = services.remove_members if input.remove else services.add_members
            changed = await change(session, segment, found.customer_ids)
            return segment, found, changed

        def result(outcome: tuple[models.Segment, CsvMatch, int]) -> dict[str, Any]:
            segment, found, changed = outcome
            return {
                "segment": Segment.from_row(segment),
                "matched": found.matched,
                "changed": changed,
                "unmatched": [
                    SegmentCsvRow(
                        line=p.line,
                        value=p.value,
                        problem=SegmentCsvProblem[p.problem],
                        message=p.message,
                    )
                    for p in found.unmatched
                ],
            }

        return await mutate(
            info, work, payload=SegmentMembersImportPayload, result=result, **ERRORS
        )

    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Auto-tag a segment's members: add the tag on enter and/or remove it on "
        "exit, at every refresh. A tag given by name is created if missing.",
    )
    async def segment_tag_rule_create(
        self, info: strawberry.Info, input: SegmentTagRuleCreateInput
    ) -> SegmentTagRulePayload:
        async def work(session: AsyncSession) -> models.SegmentTagRule:
            segment = await _writable(info, session, input.segment_id, "segment_id")
            tag_id = None if input.tag_id is None else decode_id(input.tag_id, "Tag", "tag_id")
            tag = await services.rule_tag(session, tag_id, input.tag_name)
            return await services.create_tag_rule(
                session,
                segment,
                tag,
                add_on_enter=input.add_on_enter,
                remove_on_exit=input.remove_on_exit,
            )

        return await mutate(
            info,
            work,
            payload=SegmentTagRulePayload,
            result=lambda rule: {"rule": SegmentTagRule.from_row(rule)},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("core.segment:write"),
        description="Delete an auto-tagging rule; tags it put on customers stay.",
    )
    async def segment_tag_rule_delete(
        self, info: strawberry.Info, input: SegmentIdInput
    ) -> SegmentDeletePayload:
        async def work(session: AsyncSession) -> models.SegmentTagRule:
            scope = services.visible_segments(info.context, "write")
            rule_id = decode_id(input.id, "SegmentTagRule")
            return await services.delete_tag_rule(session, rule_id, scope)

        return await mutate(
            info,
            work,
            payload=SegmentDeletePayload,
            result=lambda rule: {
                "deleted_id": strawberry.ID(to_global_id("SegmentTagRule", rule.id))
            },
            **ERRORS,
        )


async def _change_members(
    info: strawberry.Info, input: SegmentMembersInput, change: Any
) -> SegmentMembersPayload:
    async def work(session: AsyncSession) -> tuple[models.Segment, int]:
        segment = await _writable(info, session, input.segment_id, "segment_id")
        services.check_static(segment)
        ids = _customer_ids(input.customer_ids)
        found = await services.visible_customers(session, ids, visible_to(info.context))
        missing = [
            FieldError("NOT_FOUND", "no such customer", f"customer_ids.{i}")
            for i, pk in enumerate(ids)
            if pk not in found
        ]
        if missing:
            raise DomainError(*missing)
        return segment, await change(session, segment, [found[pk] for pk in ids])

    return await mutate(
        info,
        work,
        payload=SegmentMembersPayload,
        result=lambda pair: {"segment": Segment.from_row(pair[0]), "changed": pair[1]},
        **ERRORS,
    )


MUTATION = SegmentMutation
