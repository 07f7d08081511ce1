from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.assets.types import Asset
from unicrm.core.graph.bookings.types import Booking
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.plan import direct, loads
from unicrm.core.graph.products.types import Product
from unicrm.core.graph.teams.types import Team
from unicrm.core.graph.users.types import User
from unicrm.core.messaging.types import Message
from unicrm.plugins.crm import models
from unicrm.plugins.crm.services.outbound import survey_link


@strawberry.enum(description="Where a case stands on its way to resolution.")
class CaseStatus(Enum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_INTERNAL = "pending_internal"
    RESOLVED = "resolved"
    CLOSED = "closed"


@strawberry.enum(description="How urgently a case needs an answer.")
class CasePriority(Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@strawberry.enum(description="How the customer reached the service team.")
class CaseChannel(Enum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    LINE = "line"
    WEB_FORM = "web_form"
    WALK_IN = "walk_in"


@strawberry.enum(description="Who wrote a case message and who sees it.")
class CaseMessageKind(Enum):
    CUSTOMER = "customer"
    REPLY = "reply"
    NOTE = "note"


@guard("crm.case")
@strawberry.type(description="Metadata of a file attached to a case.")
class CaseAttachment:
    pk: strawberry.Private[uuid.UUID]
    message_pk: strawberry.Private[uuid.UUID | None]
    filename: str
    content_type: str
    size_bytes: int
    url: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.CaseAttachment) -> CaseAttachment:
        return cls(
            pk=row.id,
            message_pk=row.message_id,
            filename=row.filename,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            url=row.url,
            created_at=row.created_at,
        )


@guard("crm.case")
@strawberry.type(description="One message of a case: the customer's, a public reply or a note.")
class CaseMessage:
    pk: strawberry.Private[uuid.UUID]
    kind: CaseMessageKind
    body: str
    author_name: str | None
    created_at: datetime
    author_pk: strawberry.Private[uuid.UUID | None]
    delivery_pk: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: models.CaseMessage) -> CaseMessage:
        return cls(
            pk=row.id,
            kind=CaseMessageKind(row.kind.value),
            body=row.body,
            author_name=row.author_name,
            created_at=row.created_at,
            author_pk=row.author_id,
            delivery_pk=row.outbound_message_id,
        )

    @strawberry.field(
        description="The e-mail that carried a public reply to the customer (its status, or "
        "why the contact policy blocked it); null when none was sent."
    )
    @loads("core.message_by_id", key="delivery_pk", one=Message.from_row)
    async def delivery(self, info: strawberry.Info) -> Message | None: ...

    @strawberry.field(description="The user who wrote it; null for the customer's messages.")
    @loads("core.user_by_id", key="author_pk", one=User.from_row)
    async def author(self, info: strawberry.Info) -> User | None: ...

    @strawberry.field(description="Files attached to this message.")
    @loads("crm.attachments_by_message", each=CaseAttachment.from_row)
    async def attachments(self, info: strawberry.Info) -> list[CaseAttachment]: ...


@guard("crm.case")
@strawberry.type(description="One status change of a case.")
class CaseStatusChange:
    from_status: CaseStatus | None
    to_status: CaseStatus
    changed_by: str | None
    changed_at: datetime

    @classmethod
    def from_row(cls, row: models.CaseStatusChange) -> CaseStatusChange:
        return cls(
            from_status=None if row.from_status is None else CaseStatus(row.from_status.value),
            to_status=CaseStatus(row.to_status.value),
            changed_by=row.changed_by,
            changed_at=row.changed_at,
        )


@guard("crm.case")
@strawberry.type(description="A service request or complaint raised by a customer.")
class Case(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    team_pk: strawberry.Private[uuid.UUID | None]
    assignee_pk: strawberry.Private[uuid.UUID | None]
    product_pk: strawberry.Private[uuid.UUID | None]
    asset_pk: strawberry.Private[uuid.UUID | None]
    order_pk: strawberry.Private[uuid.UUID | None]
    subject: str
    description: str | None
    status: CaseStatus
    priority: CasePriority
    channel: CaseChannel
    category: str | None
    serial_number: str | None
    opened_at: datetime
    updated_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    sla_state: strawberry.Private[CaseSla]
    merged_into_pk: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: models.Case) -> Case:
        return cls(
            id=strawberry.ID(to_global_id("Case", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            team_pk=row.team_id,
            assignee_pk=row.assignee_id,
            product_pk=row.product_id,
            asset_pk=row.asset_id,
            order_pk=row.order_id,
            subject=row.subject,
            description=row.description,
            status=CaseStatus(row.status.value),
            priority=CasePriority(row.priority.value),
            channel=CaseChannel(row.channel.value),
            category=row.category,
            serial_number=row.serial_number,
            opened_at=row.opened_at,
            updated_at=row.updated_at,
            first_response_at=row.first_response_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            reopen_count=row.reopen_count,
            sla_state=CaseSla.from_row(row),
            merged_into_pk=row.merged_into_id,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Case | None:
        return await load_one(info, "crm.case_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer who raised the case.")
    @loads("core.customer_by_id", key="customer_pk", one=Customer.from_row)
    async def customer(self, info: strawberry.Info) -> Customer | None: ...

    @strawberry.field(description="The case this duplicate was merged into (then closed).")
    @loads("crm.case_by_id", key="merged_into_pk", one=lambda row: Case.from_row(row))
    async def merged_into(self, info: strawberry.Info) -> Case | None: ...

    @strawberry.field(description="The queue (team) the case waits in.")
    @loads("core.team_by_id", key="team_pk", one=Team.from_row)
    async def team(self, info: strawberry.Info) -> Team | None: ...

    @strawberry.field(description="The agent working the case.")
    @loads("core.user_by_id", key="assignee_pk", one=User.from_row)
    async def assignee(self, info: strawberry.Info) -> User | None: ...

    @strawberry.field(description="The product the case is about.")
    @loads("core.product_by_id", key="product_pk", one=Product.from_row)
    async def product(self, info: strawberry.Info) -> Product | None: ...

    @strawberry.field(description="The customer's item (with its serial number) concerned.")
    @loads("core.asset_by_id", key="asset_pk", one=Asset.from_row)
    async def asset(self, info: strawberry.Info) -> Asset | None: ...

    @strawberry.field(description="The order the case is about.")
    @loads("core.order_by_id", key="order_pk", one=Order.from_row)
    async def order(self, info: strawberry.Info) -> Order | None: ...

    @strawberry.field(description="The conversation, oldest first: internal notes included.")
    @loads("crm.messages_by_case", each=CaseMessage.from_row)
    async def messages(self, info: strawberry.Info) -> list[CaseMessage]: ...

    @strawberry.field(description="Every file attached to the case, oldest first.")
    @loads("crm.attachments_by_case", each=CaseAttachment.from_row)
    async def attachments(self, info: strawberry.Info) -> list[CaseAttachment]: ...

    @strawberry.field(description="The SLA clock of the case.")
    @direct
    def sla(self) -> CaseSla | None:
        return self.sla_state

    @strawberry.field(description="Technician visits the case was handed off to, oldest first.")
    @loads("crm.visits_by_case", each=lambda row: TechnicianVisit.from_row(row))
    async def visits(self, info: strawberry.Info) -> list[TechnicianVisit]: ...

    @strawberry.field(description="The satisfaction survey, once the case was resolved.")
    @loads("crm.survey_by_case", one=lambda row: CaseSurvey.from_row(row))
    async def survey(self, info: strawberry.Info) -> CaseSurvey | None: ...

    @strawberry.field(description="Every status the case went through, oldest first.")
    @loads("crm.status_changes_by_case", each=CaseStatusChange.from_row)
    async def status_history(self, info: strawberry.Info) -> list[CaseStatusChange]: ...


@strawberry.enum(description="Why a case mutation failed.")
class CaseErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    TOO_MANY = "too_many"
    MISMATCH = "mismatch"
    NOT_IN_TEAM = "not_in_team"
    OUT_OF_SCOPE = "out_of_scope"
    CASE_CLOSED = "case_closed"
    INVALID_TRANSITION = "invalid_transition"
    REOPEN_WINDOW_PASSED = "reopen_window_passed"
    SAME_CASE = "same_case"
    DIFFERENT_CUSTOMER = "different_customer"
    RENDER_ERROR = "render_error"


@strawberry.type
class CaseError:
    field: str | None
    code: CaseErrorCode
    message: str


@strawberry.type
class CasePayload:
    errors: list[CaseError]
    case: Case | None = None


@strawberry.type
class CaseMessagePayload:
    errors: list[CaseError]
    message: CaseMessage | None = None
    case: Case | None = None


@strawberry.input(description="Metadata of a file already stored (the bytes are not sent here).")
class CaseAttachmentInput:
    filename: str
    content_type: str
    size_bytes: int
    url: str


@strawberry.input
class CaseOpenInput:
    customer_id: strawberry.ID
    subject: str
    channel: CaseChannel
    priority: CasePriority = CasePriority.NORMAL
    description: str | None = None
    category: str | None = strawberry.field(
        default=None, description="A lower-case key such as billing or device/screen."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="The queue; defaults to the caller's primary team."
    )
    assignee_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    asset_id: strawberry.ID | None = strawberry.field(
        default=None, description="An item the customer owns; gives product and serial number."
    )
    serial_number: str | None = None
    order_id: strawberry.ID | None = None
    attachments: list[CaseAttachmentInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change; null clears an optional one.")
class CaseUpdateInput:
    id: strawberry.ID
    subject: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    priority: CasePriority | None = strawberry.UNSET
    product_id: strawberry.ID | None = strawberry.UNSET
    asset_id: strawberry.ID | None = strawberry.UNSET
    serial_number: str | None = strawberry.UNSET
    order_id: strawberry.ID | None = strawberry.UNSET


@strawberry.input
class CaseAssignInput:
    id: strawberry.ID
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="The new queue; the current one when null."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="An agent of the queue; null leaves the case unassigned."
    )


@strawberry.input
class CaseStatusSetInput:
    id: strawberry.ID
    status: CaseStatus


@strawberry.input
class CaseMessageAddInput:
    case_id: strawberry.ID
    kind: CaseMessageKind
    body: str
    attachments: list[CaseAttachmentInput] = strawberry.field(default_factory=list)
    then_status: CaseStatus | None = strawberry.field(
        default=None, description="Move the case afterwards, e.g. PENDING_CUSTOMER."
    )


@strawberry.input(description="Merge a duplicate case into the one that survives.")
class CaseMergeInput:
    source_id: strawberry.ID = strawberry.field(description="The duplicate; it gets closed.")
    target_id: strawberry.ID = strawberry.field(description="The case that survives.")


@guard("crm.sla")
@strawberry.type(
    description="Targets in working minutes for the cases of a priority and/or a category."
)
class SlaPolicy(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    priority: CasePriority | None = strawberry.field(description="Null: any priority.")
    category: str | None = strawberry.field(description="Null: any category.")
    first_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int

    @classmethod
    def from_row(cls, row: models.SlaPolicy) -> SlaPolicy:
        return cls(
            id=strawberry.ID(to_global_id("SlaPolicy", row.id)),
            pk=row.id,
            name=row.name,
            priority=None if row.priority is None else CasePriority(row.priority.value),
            category=row.category,
            first_response_minutes=row.first_response_minutes,
            resolution_minutes=row.resolution_minutes,
            warn_before_minutes=row.warn_before_minutes,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> SlaPolicy | None:
        return await load_one(info, "crm.sla_policy_by_id", pk, cls.from_row)


@guard("crm.sla")
@strawberry.type(description="A case's service-level clock: targets, due times and breaches.")
class CaseSla:
    policy_pk: strawberry.Private[uuid.UUID | None]
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    paused: bool = strawberry.field(description="The clock is stopped: pending customer.")
    paused_minutes: int = strawberry.field(description="Working minutes spent paused.")
    first_response_breached_at: datetime | None
    resolution_breached_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Case) -> CaseSla:
        return cls(
            policy_pk=row.sla_policy_id,
            first_response_due_at=row.first_response_due_at,
            resolution_due_at=row.resolution_due_at,
            paused=row.sla_paused_at is not None,
            paused_minutes=row.sla_paused_seconds // 60,
            first_response_breached_at=row.first_response_breached_at,
            resolution_breached_at=row.resolution_breached_at,
        )

    @strawberry.field(description="The policy applied.")
    @loads("crm.sla_policy_by_id", key="policy_pk", one=lambda row: SlaPolicy.from_row(row))
    async def policy(self, info: strawberry.Info) -> SlaPolicy | None: ...


@guard("crm.sla")
@strawberry.type(description="A working interval of a weekday, in the business time zone.")
class WorkingInterval:
    weekday: int = strawberry.field(description="0 is Monday, 6 is Sunday.")
    start: str = strawberry.field(description="HH:MM")
    end: str = strawberry.field(description="HH:MM; not after start: runs overnight.")


@guard("crm.sla")
@strawberry.type(description="A day without working hours.")
class Holiday:
    day: date
    name: str


@guard("crm.sla")
@strawberry.type(description="Working hours and holidays the SLA targets count in.")
class BusinessCalendar:
    time_zone: str
    hours: list[WorkingInterval]
    holidays: list[Holiday]


@guard("crm.sla")
@strawberry.type(description="SLA breaches of one queue in a period.")
class TeamSlaBreaches:
    team_pk: strawberry.Private[uuid.UUID | None]
    first_response: int
    resolution: int

    @strawberry.field(description="The queue; null for cases in no queue.")
    @loads("core.team_by_id", key="team_pk", one=Team.from_row)
    async def team(self, info: strawberry.Info) -> Team | None: ...


@strawberry.enum(description="Why an SLA mutation failed.")
class SlaErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    OVERLAP = "overlap"
    INVALID_TARGET = "invalid_target"
    NO_WORKING_TIME = "no_working_time"


@strawberry.type
class SlaError:
    field: str | None
    code: SlaErrorCode
    message: str


@strawberry.type
class SlaPolicyPayload:
    errors: list[SlaError]
    policy: SlaPolicy | None = None


@strawberry.type
class BusinessCalendarPayload:
    errors: list[SlaError]
    calendar: BusinessCalendar | None = None


@strawberry.input(description="Create the policy of a priority/category pair, or change it.")
class SlaPolicySetInput:
    name: str
    priority: CasePriority | None = strawberry.field(default=None, description="Null: any.")
    category: str | None = strawberry.field(default=None, description="Null: any.")
    first_response_minutes: int = strawberry.field(description="Working minutes, above 0.")
    resolution_minutes: int = strawberry.field(description="Working minutes, above 0.")
    warn_before_minutes: int = 60


@strawberry.input
class WorkingIntervalInput:
    weekday: int
    start: time
    end: time


@strawberry.input
class HolidayInput:
    day: date
    name: str


@strawberry.enum(description="How far a technician visit got.")
class VisitStatus(Enum):
    SCHEDULED = "scheduled"
    EN_ROUTE = "en_route"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


@guard("crm.case")
@strawberry.type(description="A technician visit a case was handed off to (a core booking).")
class TechnicianVisit(Node):
    pk: strawberry.Private[uuid.UUID]
    case_pk: strawberry.Private[uuid.UUID]
    booking_pk: strawberry.Private[uuid.UUID | None]
    team_pk: strawberry.Private[uuid.UUID | None]
    technician_pk: strawberry.Private[uuid.UUID | None]
    preferred_from: datetime
    preferred_until: datetime
    starts_at: datetime
    ends_at: datetime
    status: VisitStatus
    report: str | None
    customer_notified_by: str | None = strawberry.field(
        description="The channel the customer was told on; null when none was allowed."
    )
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.TechnicianVisit) -> TechnicianVisit:
        return cls(
            id=strawberry.ID(to_global_id("TechnicianVisit", row.id)),
            pk=row.id,
            case_pk=row.case_id,
            booking_pk=row.booking_id,
            team_pk=row.team_id,
            technician_pk=row.technician_id,
            preferred_from=row.preferred_from,
            preferred_until=row.preferred_until,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            status=VisitStatus(row.status.value),
            report=row.report,
            customer_notified_by=row.customer_notified_by,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> TechnicianVisit | None:
        return await load_one(info, "crm.visit_by_id", pk, cls.from_row)

    @strawberry.field(description="The case handed off.")
    @loads("crm.case_by_id", key="case_pk", one=Case.from_row)
    async def case(self, info: strawberry.Info) -> Case | None: ...

    @strawberry.field(description="The technician's booked time (core bookings).")
    @loads("core.booking_by_id", key="booking_pk", one=Booking.from_row)
    async def booking(self, info: strawberry.Info) -> Booking | None: ...

    @strawberry.field(description="The technician team.")
    @loads("core.team_by_id", key="team_pk", one=Team.from_row)
    async def team(self, info: strawberry.Info) -> Team | None: ...

    @strawberry.field(description="The technician, when one was named.")
    @loads("core.user_by_id", key="technician_pk", one=User.from_row)
    async def technician(self, info: strawberry.Info) -> User | None: ...


@strawberry.enum(description="Why a hand-off mutation failed.")
class VisitErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    NOT_IN_TEAM = "not_in_team"
    CASE_CLOSED = "case_closed"
    INVALID_TRANSITION = "invalid_transition"
    OUTSIDE_PREFERRED_WINDOW = "outside_preferred_window"
    IN_THE_PAST = "in_the_past"
    SLOT_FULL = "slot_full"
    OUTSIDE_HOURS = "outside_hours"
    MISALIGNED = "misaligned"
    INACTIVE = "inactive"
    KIND_MISMATCH = "kind_mismatch"


@strawberry.type
class VisitError:
    field: str | None
    code: VisitErrorCode
    message: str


@strawberry.type
class TechnicianVisitPayload:
    errors: list[VisitError]
    visit: TechnicianVisit | None = None


@strawberry.input(
    description="Hand a case to a technician team with a visit in the window the customer prefers."
)
class CaseEscalateInput:
    case_id: strawberry.ID
    team_id: strawberry.ID = strawberry.field(description="The technician team (queue).")
    resource_id: strawberry.ID = strawberry.field(
        description="The technician's bookable resource (core bookings)."
    )
    starts_at: datetime
    ends_at: datetime
    preferred_from: datetime = strawberry.field(description="The customer's window: from.")
    preferred_until: datetime = strawberry.field(description="The customer's window: until.")
    technician_id: strawberry.ID | None = None
    note: str | None = None


@strawberry.input
class TechnicianVisitUpdateInput:
    id: strawberry.ID
    status: VisitStatus
    report: str | None = strawberry.field(default=None, description="Required for DONE.")


@guard("crm.case")
@strawberry.type(description="The satisfaction survey of a case (CSAT, 1-5), answered once.")
class CaseSurvey:
    pk: strawberry.Private[uuid.UUID]
    created_at: datetime
    answered_at: datetime | None
    score: int | None
    comment: str | None

    @classmethod
    def from_row(cls, row: models.Survey) -> CaseSurvey:
        return cls(
            pk=row.id,
            created_at=row.created_at,
            answered_at=row.answered_at,
            score=row.score,
            comment=row.comment,
        )

    @strawberry.field(description="The signed link the customer answers at.")
    @direct
    def link(self) -> str:
        return survey_link(self.pk)
