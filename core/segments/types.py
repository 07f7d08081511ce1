from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.authz.rows import where_visible
from unicrm.core.graph.customers.models import Customer as CustomerRow
from unicrm.core.graph.customers.services import visible_to
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.plan import direct
from unicrm.core.graph.queries import run_query
from unicrm.core.graph.tags.types import Tag
from unicrm.core.graph.users.types import User
from unicrm.core.segments import filters, models

SegmentOperator = strawberry.enum(
    filters.Op,
    name="SegmentOperator",
    description="How a segment condition compares (docs/segments.md).",
)
SegmentValueType = strawberry.enum(
    filters.ValueType,
    name="SegmentValueType",
    description="What a condition's value (each item, for list operators) must be.",
)


@strawberry.enum(description="DYNAMIC: members follow the definition. STATIC: a hand-kept list.")
class SegmentKind(Enum):
    DYNAMIC = "dynamic"
    STATIC = "static"


@strawberry.input(
    description="A filter tree: exactly one of `and`, `or`, `not`, or a condition "
    "(`field`, `op`, `value`). Stored as JSON of the same shape."
)
class SegmentFilterInput:
    and_: list[SegmentFilterInput] | None = strawberry.field(name="and", default=None)
    or_: list[SegmentFilterInput] | None = strawberry.field(name="or", default=None)
    not_: SegmentFilterInput | None = strawberry.field(name="not", default=None)
    field: str | None = strawberry.field(
        default=None, description="A filter name from `segmentFields` (`orders.total_spend`)."
    )
    op: SegmentOperator | None = None  # type: ignore[valid-type]
    value: JSON | None = strawberry.field(
        default=None, description="A value of the field's type; a list for list operators."
    )


def to_definition(node: SegmentFilterInput) -> dict[str, Any]:
    """The input tree as stored JSON: ``{"and": [...]}`` or ``{"field", "op", "value"}``."""
    out: dict[str, Any] = {}
    if node.and_ is not None:
        out["and"] = [to_definition(n) for n in node.and_]
    if node.or_ is not None:
        out["or"] = [to_definition(n) for n in node.or_]
    if node.not_ is not None:
        out["not"] = to_definition(node.not_)
    if node.field is not None:
        out["field"] = node.field
    if node.op is not None:
        out["op"] = node.op.value
    if node.value is not None:
        out["value"] = node.value
    return out


@guard("core.segment")
@strawberry.type(description="A field segment conditions can test, for filter editors.")
class SegmentField:
    name: str
    label: str
    description: str
    value_type: SegmentValueType  # type: ignore[valid-type]
    operators: list[SegmentOperator]  # type: ignore[valid-type]
    choices: list[str] = strawberry.field(description="The allowed values of a CHOICE field.")
    id_type: str | None = strawberry.field(description="Whose global ids an ID field takes.")

    @classmethod
    def of(cls, f: filters.SegmentFilter) -> SegmentField:
        return cls(
            name=f.name,
            label=f.label,
            description=f.description,
            value_type=f.value_type,
            operators=list(f.operators),
            choices=list(f.choices),
            id_type=f.id_type,
        )


@guard("core.segment")
@strawberry.type(
    name="SegmentTagRule", description="Tag customers entering a segment, untag those leaving it."
)
class SegmentTagRule(Node):
    pk: strawberry.Private[uuid.UUID]
    segment_pk: strawberry.Private[uuid.UUID]
    tag_pk: strawberry.Private[uuid.UUID]
    add_on_enter: bool
    remove_on_exit: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.SegmentTagRule) -> SegmentTagRule:
        return cls(
            id=strawberry.ID(to_global_id("SegmentTagRule", row.id)),
            pk=row.id,
            segment_pk=row.segment_id,
            tag_pk=row.tag_id,
            add_on_enter=row.add_on_enter,
            remove_on_exit=row.remove_on_exit,
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> SegmentTagRule | None:
        row = await info.context.loaders["core.segment_tag_rule_by_id"].load(pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    @direct
    async def tag(self, info: strawberry.Info) -> Tag | None:
        return await Tag.load_node(info, self.tag_pk)

    @strawberry.field
    @direct
    async def segment(self, info: strawberry.Info) -> Segment | None:
        return await Segment.load_node(info, self.segment_pk)


@guard("core.segment")
@strawberry.type(name="Segment", description="A saved audience of customers.")
class Segment(Node):
    pk: strawberry.Private[uuid.UUID]
    created_by_pk: strawberry.Private[uuid.UUID | None]
    name: str
    description: str | None
    kind: SegmentKind
    definition: JSON | None = strawberry.field(
        description="The filter tree (same shape as SegmentFilterInput); null when static."
    )
    refresh_minutes: int = strawberry.field(
        description="A dynamic segment is refreshed when its last refresh is this old."
    )
    member_count: int = strawberry.field(description="Members at the last change or refresh.")
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Segment) -> Segment:
        return cls(
            id=strawberry.ID(to_global_id("Segment", row.id)),
            pk=row.id,
            created_by_pk=row.created_by,
            name=row.name,
            description=row.description,
            kind=SegmentKind(row.kind.value),
            definition=row.definition,
            refresh_minutes=row.refresh_minutes,
            member_count=row.member_count,
            refreshed_at=row.refreshed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Segment | None:
        row = await info.context.loaders["core.segment_by_id"].load(pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="Who created the segment.")
    @direct
    async def created_by(self, info: strawberry.Info) -> User | None:
        return (
            None if self.created_by_pk is None else await User.load_node(info, self.created_by_pk)
        )

    @strawberry.field(description="Members you may see, by name.")
    @direct
    async def members(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Customer]:
        ctx = info.context
        stmt = where_visible(
            select(CustomerRow)
            .join(models.SegmentMember, models.SegmentMember.customer_id == CustomerRow.id)
            .where(models.SegmentMember.segment_id == self.pk),
            visible_to(ctx),
        )

        async def work(session: AsyncSession) -> Page[CustomerRow]:
            return await paginate(
                session,
                stmt,
                keys=[CustomerRow.display_name, CustomerRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                key_of=lambda r: (r.display_name, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Customer.from_row, count_of(ctx.db, stmt))

    @strawberry.field(description="Auto-tagging rules applied at each refresh.")
    @direct
    async def tag_rules(self, info: strawberry.Info) -> list[SegmentTagRule]:
        rows = await info.context.loaders["core.segment_tag_rules_by_segment"].load(self.pk)
        return [SegmentTagRule.from_row(r) for r in rows]


@strawberry.enum
class SegmentErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    UNKNOWN_FIELD = "unknown_field"
    UNSUPPORTED_OPERATOR = "unsupported_operator"
    INVALID_VALUE = "invalid_value"
    NOT_ALLOWED = "not_allowed"
    NOT_STATIC = "not_static"
    INVALID_CSV = "invalid_csv"


@strawberry.type
class SegmentError:
    field: str | None = strawberry.field(description="The input path, e.g. definition.and.1.value.")
    code: SegmentErrorCode
    message: str


@guard("core.segment")
@strawberry.type(description="How many customers a definition selects, and a few of them.")
class SegmentPreview:
    errors: list[SegmentError]
    count: int | None = None
    sample: list[Customer] = strawberry.field(default_factory=list)


@strawberry.input
class SegmentCreateInput:
    name: str
    description: str | None = None
    kind: SegmentKind = SegmentKind.DYNAMIC
    definition: SegmentFilterInput | None = strawberry.field(
        default=None, description="Required for a dynamic segment; none for a static one."
    )
    refresh_minutes: int | None = strawberry.field(default=None, description="Default 60.")


@strawberry.input(description="Fields left out stay as they are.")
class SegmentUpdateInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    definition: SegmentFilterInput | None = None
    refresh_minutes: int | None = None


@strawberry.input
class SegmentIdInput:
    id: strawberry.ID


@strawberry.input
class SegmentMembersInput:
    segment_id: strawberry.ID
    customer_ids: list[strawberry.ID]


@strawberry.input(
    description="CSV text with a header row naming how rows are matched: `id`, `email`, "
    "`phone`, or `source` with `external_id` (an external identity)."
)
class SegmentMembersImportCsvInput:
    segment_id: strawberry.ID
    csv: str
    remove: bool = strawberry.field(
        default=False, description="Remove the matched customers instead of adding them."
    )


@strawberry.input(description="A segment and a tag, given by id or by name (exactly one).")
class SegmentTagRuleCreateInput:
    segment_id: strawberry.ID
    tag_id: strawberry.ID | None = None
    tag_name: str | None = strawberry.field(default=None, description="Created if missing.")
    add_on_enter: bool = True
    remove_on_exit: bool = True


@strawberry.type
class SegmentPayload:
    errors: list[SegmentError]
    segment: Segment | None = None


@strawberry.type
class SegmentDeletePayload:
    errors: list[SegmentError]
    deleted_id: strawberry.ID | None = None


@strawberry.type
class SegmentRefreshPayload:
    errors: list[SegmentError]
    segment: Segment | None = None
    entered: int = 0
    exited: int = 0


@strawberry.type
class SegmentMembersPayload:
    errors: list[SegmentError]
    segment: Segment | None = None
    changed: int = strawberry.field(default=0, description="Members added or removed.")


@strawberry.enum
class SegmentCsvProblem(Enum):
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    AMBIGUOUS = "ambiguous"
    EMPTY = "empty"


@guard("core.segment")
@strawberry.type(description="A CSV line that matched no customer.")
class SegmentCsvRow:
    line: int = strawberry.field(description="The line number in the CSV text (header is 1).")
    value: str
    problem: SegmentCsvProblem
    message: str


@strawberry.type
class SegmentMembersImportPayload:
    errors: list[SegmentError]
    segment: Segment | None = None
    matched: int = strawberry.field(default=0, description="Rows that named a customer.")
    changed: int = strawberry.field(default=0, description="Members added or removed.")
    unmatched: list[SegmentCsvRow] = strawberry.field(default_factory=list)


@strawberry.type
class SegmentTagRulePayload:
    errors: list[SegmentError]
    rule: SegmentTagRule | None = None
