"""Inputs, payloads and error codes of SFA's mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from unicrm.core.graph.scalars import MoneyInput
from unicrm.plugins.sfa.graphql.types import (
    Activity,
    ActivityKind,
    AssignmentRule,
    AssignmentRuleKind,
    ContactRole,
    Deal,
    DealSource,
    Pipeline,
    PipelineStage,
    Quote,
    StageKind,
)


@strawberry.enum
class PipelineErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    INVALID_PROBABILITY = "invalid_probability"
    INVALID_POSITION = "invalid_position"
    MISSING_STAGE_KIND = "missing_stage_kind"
    STAGE_NOT_EMPTY = "stage_not_empty"


@strawberry.type
class PipelineError:
    field: str | None
    code: PipelineErrorCode
    message: str


@strawberry.input
class PipelineStageInput:
    name: str
    probability: int = strawberry.field(description="Default win probability, 0 to 100.")
    kind: StageKind = StageKind.OPEN


@strawberry.input
class PipelineCreateInput:
    name: str
    stages: list[PipelineStageInput] = strawberry.field(
        description="In board order: at least one open, one won and one lost stage."
    )
    is_default: bool = strawberry.field(
        default=False, description="Make it the default pipeline (where converted leads go)."
    )


@strawberry.input
class PipelineStageAddInput:
    pipeline_id: strawberry.ID
    name: str
    probability: int
    kind: StageKind = StageKind.OPEN
    position: int | None = strawberry.field(
        default=None, description="1-based place; at the end when omitted."
    )


@strawberry.input
class PipelineStageUpdateInput:
    id: strawberry.ID
    name: str | None = None
    probability: int | None = None
    position: int | None = strawberry.field(default=None, description="Move it to this place.")


@strawberry.input
class PipelineStageArchiveInput:
    id: strawberry.ID


@strawberry.type
class PipelinePayload:
    errors: list[PipelineError]
    pipeline: Pipeline | None = None


@strawberry.type
class PipelineStagePayload:
    errors: list[PipelineError]
    stage: PipelineStage | None = None


@strawberry.enum
class DealErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    INVALID_AMOUNT = "invalid_amount"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    WRONG_KIND = strawberry.enum_value(
        "wrong_kind", description="A company where a person is expected, or the reverse."
    )
    STAGE_NOT_IN_PIPELINE = strawberry.enum_value(
        "stage_not_in_pipeline", description="The stage belongs to another pipeline."
    )
    STAGE_ARCHIVED = "stage_archived"
    STAGE_CLOSED = strawberry.enum_value(
        "stage_closed", description="A new deal starts in an open stage."
    )
    NO_OPEN_STAGE = "no_open_stage"
    LOST_REASON_REQUIRED = "lost_reason_required"
    CONFLICT = strawberry.enum_value(
        "conflict", description="The deal changed since the version sent; reload it."
    )
    SAME_OWNER = "same_owner"
    NO_RULE_MATCHED = strawberry.enum_value(
        "no_rule_matched", description="No active assignment rule found an owner."
    )


@strawberry.type
class DealError:
    field: str | None
    code: DealErrorCode
    message: str


@strawberry.input
class DealContactInput:
    customer_id: strawberry.ID = strawberry.field(description="A person.")
    role: ContactRole


@strawberry.input
class DealCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="A person or a company.")
    title: str
    amount: MoneyInput | None = None
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the default pipeline."
    )
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="An open stage; defaults to the pipeline's first."
    )
    company_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the caller."
    )
    team_id: strawberry.ID | None = None
    source: DealSource = DealSource.MANUAL
    expected_close_date: date | None = None
    next_step: str | None = None
    contacts: list[DealContactInput] = strawberry.field(default_factory=list)


@strawberry.input
class DealUpdateInput:
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=None, description="The version you saw; a newer one is a CONFLICT."
    )
    title: str | None = strawberry.UNSET
    amount: MoneyInput | None = strawberry.UNSET
    expected_close_date: date | None = strawberry.UNSET
    next_step: str | None = strawberry.UNSET
    company_id: strawberry.ID | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class DealMoveStageInput:
    id: strawberry.ID
    stage_id: strawberry.ID
    expected_version: int = strawberry.field(
        description="The version you saw: if someone moved the deal since, this is a CONFLICT."
    )
    lost_reason: str | None = strawberry.field(
        default=None, description="Required when moving to a lost stage."
    )


@strawberry.input
class DealContactSetInput:
    deal_id: strawberry.ID
    customer_id: strawberry.ID
    role: ContactRole


@strawberry.input
class DealContactRemoveInput:
    deal_id: strawberry.ID
    customer_id: strawberry.ID


@strawberry.type
class DealPayload:
    errors: list[DealError]
    deal: Deal | None = None


@strawberry.enum
class ActivityErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    NOT_FOR_KIND = strawberry.enum_value(
        "not_for_kind", description="The field does not fit the activity's kind."
    )
    INVALID_URL = "invalid_url"
    INVALID_LOCATION = "invalid_location"
    INVALID_TIME = "invalid_time"
    DEAL_OF_ANOTHER_CUSTOMER = "deal_of_another_customer"


@strawberry.type
class ActivityError:
    field: str | None
    code: ActivityErrorCode
    message: str


@strawberry.input(description="Where a visit checked in.")
class CheckInInput:
    latitude: float
    longitude: float
    label: str | None = None


@strawberry.input
class ActivityLogInput:
    customer_id: strawberry.ID
    kind: ActivityKind
    subject: str
    deal_id: strawberry.ID | None = strawberry.field(
        default=None, description="A deal of the customer (or of the company it buys for)."
    )
    notes: str | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who did it or must do it; defaults to the caller."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (or is planned); defaults to now."
    )
    duration_minutes: int | None = None
    video_url: str | None = strawberry.field(
        default=None, description="MEETING only: an https video-call link."
    )
    check_in: CheckInInput | None = strawberry.field(
        default=None, description="VISIT only: where the rep checked in."
    )
    due_at: datetime | None = strawberry.field(default=None, description="TASK only, required.")
    remind_at: datetime | None = strawberry.field(
        default=None, description="TASK only: when to remind the owner (before dueAt)."
    )


@strawberry.input
class ActivityCompleteInput:
    id: strawberry.ID


@strawberry.type
class ActivityPayload:
    errors: list[ActivityError]
    activity: Activity | None = None


@strawberry.enum
class QuoteErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_DISCOUNT = strawberry.enum_value(
        "invalid_discount", description="Over 100%, over the line's total, or both kinds."
    )
    INVALID_DATE = "invalid_date"
    INACTIVE_PRODUCT = "inactive_product"
    CURRENCY_MISMATCH = "currency_mismatch"
    QUOTE_NOT_DRAFT = strawberry.enum_value(
        "quote_not_draft", description="Only a draft changes; make a new version."
    )
    QUOTE_NOT_SENT = "quote_not_sent"
    QUOTE_EXPIRED = "quote_expired"
    QUOTE_DECIDED = "quote_decided"


@strawberry.type
class QuoteError:
    field: str | None
    code: QuoteErrorCode
    message: str


@strawberry.input
class QuoteLineInput:
    product_id: strawberry.ID
    quantity: int
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the product's price."
    )
    discount_percent: Decimal | None = strawberry.field(
        default=None, description="0 to 100; or give discountAmount."
    )
    discount_amount: Decimal | None = strawberry.field(
        default=None, description="Off the line's total; at most that total."
    )


@strawberry.input
class QuoteCreateInput:
    deal_id: strawberry.ID
    lines: list[QuoteLineInput]
    valid_until: date
    prices_include_vat: bool = strawberry.field(
        default=False, description="Line prices include VAT (else VAT is added on top)."
    )
    vat_rate: Decimal | None = strawberry.field(
        default=None, description="Defaults to the installation's commerce.vatRate (0.07)."
    )
    delivery_lead_days: int | None = None


@strawberry.input
class QuoteUpdateInput:
    id: strawberry.ID
    lines: list[QuoteLineInput] | None = strawberry.field(
        default=None, description="Replaces every line."
    )
    valid_until: date | None = strawberry.field(default=None, description="Omitted: kept.")
    prices_include_vat: bool | None = strawberry.field(default=None, description="Omitted: kept.")
    vat_rate: Decimal | None = strawberry.field(default=None, description="Omitted: kept.")
    delivery_lead_days: int | None = strawberry.field(default=None, description="Omitted: kept.")


@strawberry.input
class QuoteIdInput:
    id: strawberry.ID


@strawberry.input
class QuoteAcceptInput:
    id: strawberry.ID
    delivery_date: date | None = strawberry.field(
        default=None, description="Defaults to today plus the quote's lead time."
    )


@strawberry.type
class QuotePayload:
    errors: list[QuoteError]
    quote: Quote | None = None


@strawberry.type
class QuoteAcceptPayload:
    errors: list[QuoteError]
    quote: Quote | None = None
    deal: Deal | None = None


@strawberry.input
class DealAssignInput:
    id: strawberry.ID
    owner_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class DealHandOffInput:
    id: strawberry.ID
    owner_id: strawberry.ID = strawberry.field(description="The field rep taking the deal.")
    note: str = strawberry.field(description="What the field rep needs to know; required.")
    expected_version: int | None = None


@strawberry.input
class DealAutoAssignInput:
    id: strawberry.ID


@strawberry.input
class AssignmentRuleCreateInput:
    name: str
    kind: AssignmentRuleKind
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="ROUND_ROBIN only: the team taking turns."
    )


@strawberry.type
class AssignmentRulePayload:
    errors: list[PipelineError]
    rule: AssignmentRule | None = None
