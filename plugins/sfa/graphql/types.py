"""SFA's object types: pipelines, stages, deals, deal contacts and stage changes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.db.types import MONEY_QUANTUM
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.pagination import Connection
from unicrm.core.graph.plan import direct, loads
from unicrm.core.graph.scalars import BigInt, Money
from unicrm.core.graph.teams.types import Team
from unicrm.core.graph.users.types import User
from unicrm.plugins.sfa import models


@strawberry.enum(description="Open stages hold deals being worked; won and lost close them.")
class StageKind(Enum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


@strawberry.enum(description="Where a deal came from.")
class DealSource(Enum):
    MANUAL = "manual"
    IMPORT = "import"
    MA_HANDOFF = strawberry.enum_value("ma_handoff", description="Handed over by marketing.")
    LEAD_CONVERSION = strawberry.enum_value("lead_conversion", description="A converted lead.")


@strawberry.enum(description="A contact's part in the buying decision.")
class ContactRole(Enum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    CHAMPION = "champion"
    EVALUATOR = "evaluator"
    USER = "user"
    OTHER = "other"


@guard("sfa.pipeline")
@strawberry.type(description="One stage of a pipeline, with its default win probability.")
class PipelineStage(Node):
    pk: strawberry.Private[uuid.UUID]
    pipeline_pk: strawberry.Private[uuid.UUID]
    name: str
    position: int = strawberry.field(description="1-based place on the board.")
    probability: int = strawberry.field(description="Default win probability, in percent.")
    kind: StageKind
    archived: bool = strawberry.field(description="Off the board; kept for the history.")

    @classmethod
    def from_row(cls, row: models.Stage) -> PipelineStage:
        return cls(
            id=strawberry.ID(to_global_id("PipelineStage", row.id)),
            pk=row.id,
            pipeline_pk=row.pipeline_id,
            name=row.name,
            position=row.position,
            probability=row.probability,
            kind=StageKind(row.kind.value),
            archived=row.archived_at is not None,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> PipelineStage | None:
        return await load_one(info, "sfa.stage_by_id", pk, cls.from_row)

    @strawberry.field(description="The pipeline the stage belongs to.")
    @direct
    async def pipeline(self, info: strawberry.Info) -> Pipeline | None:
        return await Pipeline.load_node(info, self.pipeline_pk)


@guard("sfa.pipeline")
@strawberry.type(description="A sales process: ordered stages a deal moves through.")
class Pipeline(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    is_default: bool = strawberry.field(description="Converted leads open their deals here.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Pipeline) -> Pipeline:
        return cls(
            id=strawberry.ID(to_global_id("Pipeline", row.id)),
            pk=row.id,
            name=row.name,
            is_default=row.is_default,
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Pipeline | None:
        return await load_one(info, "sfa.pipeline_by_id", pk, cls.from_row)

    @strawberry.field(description="The stages in board order, archived ones included.")
    @direct
    async def stages(self, info: strawberry.Info) -> list[PipelineStage]:
        rows = await info.context.loaders["sfa.stages_by_pipeline"].load(self.pk)
        return [PipelineStage.from_row(r) for r in rows]


@guard("sfa.deal")
@strawberry.type(description="A person involved in a deal, with their role.")
class DealContact:
    customer_pk: strawberry.Private[uuid.UUID]
    role: ContactRole

    @classmethod
    def from_row(cls, row: models.DealContact) -> DealContact:
        return cls(customer_pk=row.customer_id, role=ContactRole(row.role.value))

    @strawberry.field(description="The contact person.")
    @direct
    async def person(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)


@guard("sfa.deal")
@strawberry.type(description="One stage move of a deal: from, to, who, when, how long.")
class DealStageChange:
    from_stage_pk: strawberry.Private[uuid.UUID | None]
    to_stage_pk: strawberry.Private[uuid.UUID]
    user_pk: strawberry.Private[uuid.UUID | None]
    changed_by: str = strawberry.field(description="Who moved it: a user's name, or system.")
    changed_at: datetime
    seconds_in_stage: BigInt | None = strawberry.field(
        description="How long the deal stayed in the stage it left; null for its opening."
    )

    @classmethod
    def from_row(cls, row: models.StageChange) -> DealStageChange:
        return cls(
            from_stage_pk=row.from_stage_id,
            to_stage_pk=row.to_stage_id,
            user_pk=row.user_id,
            changed_by=row.changed_by,
            changed_at=row.changed_at,
            seconds_in_stage=None if row.seconds_in_stage is None else BigInt(row.seconds_in_stage),
        )

    @strawberry.field(description="The stage it left; null for the deal's opening.")
    @direct
    async def from_stage(self, info: strawberry.Info) -> PipelineStage | None:
        if self.from_stage_pk is None:
            return None
        return await PipelineStage.load_node(info, self.from_stage_pk)

    @strawberry.field(description="The stage it entered.")
    @direct
    async def to_stage(self, info: strawberry.Info) -> PipelineStage | None:
        return await PipelineStage.load_node(info, self.to_stage_pk)

    @strawberry.field(description="The user who moved it; null for automatic moves.")
    @direct
    async def user(self, info: strawberry.Info) -> User | None:
        return None if self.user_pk is None else await User.load_node(info, self.user_pk)


@guard("sfa.deal")
@strawberry.type(description="A sales opportunity with one customer.")
class Deal(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    company_pk: strawberry.Private[uuid.UUID | None]
    pipeline_pk: strawberry.Private[uuid.UUID]
    stage_pk: strawberry.Private[uuid.UUID]
    owner_pk: strawberry.Private[uuid.UUID | None]
    team_pk: strawberry.Private[uuid.UUID | None]
    title: str
    amount: Money
    source: DealSource
    expected_close_date: date | None
    next_step: str | None
    lost_reason: str | None = strawberry.field(description="Why it was lost (Closed Lost).")
    version: int = strawberry.field(
        description="Grows with every change; send it back as expectedVersion."
    )
    stage_entered_at: datetime
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Deal) -> Deal:
        return cls(
            id=strawberry.ID(to_global_id("Deal", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            company_pk=row.company_id,
            pipeline_pk=row.pipeline_id,
            stage_pk=row.stage_id,
            owner_pk=row.owner_id,
            team_pk=row.team_id,
            title=row.title,
            amount=Money(amount=row.amount, currency=row.currency),
            source=DealSource(row.source.value),
            expected_close_date=row.expected_close_date,
            next_step=row.next_step,
            lost_reason=row.lost_reason,
            version=row.version,
            stage_entered_at=row.stage_entered_at,
            closed_at=row.closed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Deal | None:
        return await load_one(info, "sfa.deal_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer the deal is with.")
    @loads("core.customer_by_id", key="customer_pk", one=lambda row: Customer.from_row(row))
    async def customer(self, info: strawberry.Info) -> Customer | None: ...

    @strawberry.field(description="The company buying, when the customer is one of its people.")
    @loads("core.customer_by_id", key="company_pk", one=lambda row: Customer.from_row(row))
    async def company(self, info: strawberry.Info) -> Customer | None: ...

    @strawberry.field
    @loads("sfa.pipeline_by_id", key="pipeline_pk", one=Pipeline.from_row)
    async def pipeline(self, info: strawberry.Info) -> Pipeline | None: ...

    @strawberry.field
    @loads("sfa.stage_by_id", key="stage_pk", one=PipelineStage.from_row)
    async def stage(self, info: strawberry.Info) -> PipelineStage | None: ...

    @strawberry.field(description="The user working the deal.")
    @direct
    async def owner(self, info: strawberry.Info) -> User | None:
        return None if self.owner_pk is None else await User.load_node(info, self.owner_pk)

    @strawberry.field
    @direct
    async def team(self, info: strawberry.Info) -> Team | None:
        return None if self.team_pk is None else await Team.load_node(info, self.team_pk)

    @strawberry.field(description="The people involved, with their roles.")
    @direct
    async def contacts(self, info: strawberry.Info) -> list[DealContact]:
        rows = await info.context.loaders["sfa.contacts_by_deal"].load(self.pk)
        return [DealContact.from_row(r) for r in rows]

    @strawberry.field(description="Every stage the deal went through, oldest first.")
    @direct
    async def stage_history(self, info: strawberry.Info) -> list[DealStageChange]:
        rows = await info.context.loaders["sfa.stage_changes_by_deal"].load(self.pk)
        return [DealStageChange.from_row(r) for r in rows]

    @strawberry.field(description="Every change of owner, oldest first.")
    @direct
    async def assignment_history(self, info: strawberry.Info) -> list[DealAssignment]:
        rows = await info.context.loaders["sfa.assignments_by_deal"].load(self.pk)
        return [DealAssignment.from_row(r) for r in rows]

    @strawberry.field(description="Every version of every quote of the deal, newest first.")
    @direct
    async def quotes(self, info: strawberry.Info) -> list[Quote]:
        rows = await info.context.loaders["sfa.quotes_by_deal"].load(self.pk)
        return [Quote.from_row(r) for r in rows]

    @strawberry.field(description="The activities about the deal, newest first.")
    @direct
    async def activities(self, info: strawberry.Info) -> list[Activity]:
        rows = await info.context.loaders["sfa.activities_by_deal"].load(self.pk)
        return [Activity.from_row(r) for r in rows]


@strawberry.input(description="Deal filters of the board and the deals list; all must hold.")
class DealFilterInput:
    owner_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Deals of this team, or owned by one of its members."
    )
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    close_from: date | None = strawberry.field(
        default=None, description="Expected to close on or after this day."
    )
    close_to: date | None = None
    stale_days: int | None = strawberry.field(
        default=None, description="Unchanged for at least this many days."
    )


@guard("sfa.deal")
@strawberry.type(description="One stage of the board: its deals, their count and sums.")
class DealBoardColumn:
    stage: PipelineStage
    count: BigInt = strawberry.field(description="Deals in the stage matching the filter.")
    totals: list[Money] = strawberry.field(description="The sum of their amounts, per currency.")
    weighted_totals: list[Money] = strawberry.field(
        description="The sums times the stage's win probability."
    )
    deals: Connection[Deal] = strawberry.field(
        description="The first deals, newest first; continue with deals(stageId:, after:)."
    )


@guard("sfa.deal")
@strawberry.type(description="A pipeline as a board: one column per live stage.")
class DealBoard:
    pipeline: Pipeline
    columns: list[DealBoardColumn]


@strawberry.enum(description="What kind of contact with the customer an activity was.")
class ActivityKind(Enum):
    CALL = "call"
    MEETING = "meeting"
    VISIT = "visit"
    EMAIL = "email"
    TASK = "task"


@guard("sfa.activity")
@strawberry.type(description="Where a visit checked in.")
class CheckIn:
    latitude: float
    longitude: float
    label: str | None


@guard("sfa.activity")
@strawberry.type(description="A call, meeting, visit, e-mail or task with a customer.")
class Activity(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    deal_pk: strawberry.Private[uuid.UUID | None]
    owner_pk: strawberry.Private[uuid.UUID | None]
    kind: ActivityKind
    subject: str
    notes: str | None
    created_by: str = strawberry.field(description="Who logged it: a user's name, or system.")
    occurred_at: datetime
    duration_minutes: int | None
    video_url: str | None = strawberry.field(description="A meeting's video-call link.")
    check_in: CheckIn | None = strawberry.field(description="A visit's check-in location.")
    due_at: datetime | None = strawberry.field(description="When a task is due.")
    remind_at: datetime | None
    reminded_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Activity) -> Activity:
        located = row.latitude is not None and row.longitude is not None
        return cls(
            id=strawberry.ID(to_global_id("Activity", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            deal_pk=row.deal_id,
            owner_pk=row.owner_id,
            kind=ActivityKind(row.kind.value),
            subject=row.subject,
            notes=row.notes,
            created_by=row.created_by,
            occurred_at=row.occurred_at,
            duration_minutes=row.duration_minutes,
            video_url=row.video_url,
            check_in=CheckIn(latitude=row.latitude, longitude=row.longitude, label=row.location)
            if located
            else None,
            due_at=row.due_at,
            remind_at=row.remind_at,
            reminded_at=row.reminded_at,
            completed_at=row.completed_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Activity | None:
        return await load_one(info, "sfa.activity_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer the activity was with.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)

    @strawberry.field(description="The deal it was about.")
    @direct
    async def deal(self, info: strawberry.Info) -> Deal | None:
        return None if self.deal_pk is None else await Deal.load_node(info, self.deal_pk)

    @strawberry.field(description="Who did it, or must do the task.")
    @direct
    async def owner(self, info: strawberry.Info) -> User | None:
        return None if self.owner_pk is None else await User.load_node(info, self.owner_pk)


@strawberry.enum
class QuoteStatus(Enum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


@guard("sfa.quote")
@strawberry.type(description="A product line of a quote.")
class QuoteLine:
    product_pk: strawberry.Private[uuid.UUID]
    position: int
    sku: str
    name: str
    quantity: int
    unit_price: Money
    discount_percent: Decimal | None
    discount: Money = strawberry.field(description="The discount of the line, in money.")
    line_total: Money = strawberry.field(
        description="Quantity times unit price less the discount, in the quote's VAT mode."
    )

    @classmethod
    def from_row(cls, row: models.QuoteLine, currency: str) -> QuoteLine:
        def money(amount: Decimal) -> Money:
            return Money(amount=amount.quantize(MONEY_QUANTUM), currency=currency)

        return cls(
            product_pk=row.product_id,
            position=row.position,
            sku=row.sku,
            name=row.name,
            quantity=row.quantity,
            unit_price=money(row.unit_price),
            discount_percent=row.discount_percent,
            discount=money(row.discount),
            line_total=money(row.line_total),
        )


@guard("sfa.quote")
@strawberry.type(description="One version of a quote for a deal.")
class Quote(Node):
    pk: strawberry.Private[uuid.UUID]
    deal_pk: strawberry.Private[uuid.UUID]
    order_pk: strawberry.Private[uuid.UUID | None]
    family_id: strawberry.ID = strawberry.field(description="Shared by every version.")
    version: int
    status: QuoteStatus
    prices_include_vat: bool
    vat_rate: Decimal = strawberry.field(description="0.07 is 7%.")
    net_total: Money = strawberry.field(description="Without VAT, after discounts.")
    discount_total: Money
    vat: Money
    grand_total: Money = strawberry.field(description="With VAT: what the customer pays.")
    valid_until: date
    delivery_lead_days: int | None
    delivery_date: date | None = strawberry.field(description="Recorded on acceptance.")
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    decided_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Quote) -> Quote:
        def money(amount: Decimal) -> Money:
            return Money(amount=amount.quantize(MONEY_QUANTUM), currency=row.currency)

        return cls(
            id=strawberry.ID(to_global_id("Quote", row.id)),
            pk=row.id,
            deal_pk=row.deal_id,
            order_pk=row.order_id,
            family_id=strawberry.ID(to_global_id("Quote", row.family_id)),
            version=row.version,
            status=QuoteStatus(row.status.value),
            prices_include_vat=row.prices_include_vat,
            vat_rate=row.vat_rate.normalize(),
            net_total=money(row.net_total),
            discount_total=money(row.discount_total),
            vat=money(row.vat_amount),
            grand_total=money(row.grand_total),
            valid_until=row.valid_until,
            delivery_lead_days=row.delivery_lead_days,
            delivery_date=row.delivery_date,
            created_by=row.created_by,
            created_at=row.created_at,
            sent_at=row.sent_at,
            decided_at=row.decided_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Quote | None:
        return await load_one(info, "sfa.quote_by_id", pk, cls.from_row)

    @strawberry.field
    @direct
    async def deal(self, info: strawberry.Info) -> Deal | None:
        return await Deal.load_node(info, self.deal_pk)

    @strawberry.field(description="The lines in order.")
    @direct
    async def lines(self, info: strawberry.Info) -> list[QuoteLine]:
        rows = await info.context.loaders["sfa.lines_by_quote"].load(self.pk)
        currency = self.grand_total.currency
        return [QuoteLine.from_row(r, currency) for r in rows]

    @strawberry.field(description="The core order placed when the quote was accepted.")
    @direct
    async def order(self, info: strawberry.Info) -> Order | None:
        return None if self.order_pk is None else await Order.load_node(info, self.order_pk)


@strawberry.enum
class AssignmentRuleKind(Enum):
    ACCOUNT_OWNER = strawberry.enum_value(
        "account_owner", description="The customer's account owner."
    )
    TERRITORY = strawberry.enum_value(
        "territory", description="Round-robin in the team covering the customer's province."
    )
    ROUND_ROBIN = strawberry.enum_value("round_robin", description="Round-robin in one team.")


@strawberry.enum
class AssignmentKind(Enum):
    MANUAL = "manual"
    RULE = "rule"
    HANDOFF = strawberry.enum_value("handoff", description="Inside rep to field rep, with a note.")


@guard("sfa.assignment_rule")
@strawberry.type(description="A rule of automatic deal assignment, tried in position order.")
class AssignmentRule(Node):
    pk: strawberry.Private[uuid.UUID]
    team_pk: strawberry.Private[uuid.UUID | None]
    name: str
    kind: AssignmentRuleKind
    position: int
    active: bool

    @classmethod
    def from_row(cls, row: models.AssignmentRule) -> AssignmentRule:
        return cls(
            id=strawberry.ID(to_global_id("AssignmentRule", row.id)),
            pk=row.id,
            team_pk=row.team_id,
            name=row.name,
            kind=AssignmentRuleKind(row.kind.value),
            position=row.position,
            active=row.active,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> AssignmentRule | None:
        return await load_one(info, "sfa.assignment_rule_by_id", pk, cls.from_row)

    @strawberry.field
    @direct
    async def team(self, info: strawberry.Info) -> Team | None:
        return None if self.team_pk is None else await Team.load_node(info, self.team_pk)


@guard("sfa.deal")
@strawberry.type(description="One change of a deal's owner.")
class DealAssignment:
    from_pk: strawberry.Private[uuid.UUID | None]
    to_pk: strawberry.Private[uuid.UUID | None]
    kind: AssignmentKind
    note: str | None = strawberry.field(description="A hand-off's note for the field rep.")
    assigned_by: str
    assigned_at: datetime

    @classmethod
    def from_row(cls, row: models.DealAssignment) -> DealAssignment:
        return cls(
            from_pk=row.from_owner_id,
            to_pk=row.to_owner_id,
            kind=AssignmentKind(row.kind.value),
            note=row.note,
            assigned_by=row.assigned_by,
            assigned_at=row.assigned_at,
        )

    @strawberry.field
    @direct
    async def from_owner(self, info: strawberry.Info) -> User | None:
        return None if self.from_pk is None else await User.load_node(info, self.from_pk)

    @strawberry.field
    @direct
    async def to_owner(self, info: strawberry.Info) -> User | None:
        return None if self.to_pk is None else await User.load_node(info, self.to_pk)


@guard("sfa.deal")
@strawberry.type(description="A change in a rep's pipeline, with the deal as it is now.")
class PipelineEvent:
    type: str = strawberry.field(description="deal.created, deal.stage_changed or deal.assigned.")
    deal: Deal


@guard("sfa.deal")
@strawberry.type(description="How long deals stayed in a stage before moving on.")
class StageTime:
    stage_pk: strawberry.Private[uuid.UUID]
    moves: int = strawberry.field(description="Moves out of the stage in the period.")
    average_days: float

    @strawberry.field
    @direct
    async def stage(self, info: strawberry.Info) -> PipelineStage | None:
        return await PipelineStage.load_node(info, self.stage_pk)


@guard("sfa.deal")
@strawberry.type(description="A rep's won deals in the period.")
class LeaderboardEntry:
    owner_pk: strawberry.Private[uuid.UUID]
    won: int
    amount: Money

    @strawberry.field
    @direct
    async def owner(self, info: strawberry.Info) -> User | None:
        return await User.load_node(info, self.owner_pk)


@guard("sfa.deal")
@strawberry.type(description="Deals of one source closed in the period, won and lost.")
class SourceWinRate:
    source: DealSource
    won: int
    lost: int
    win_rate: float | None = strawberry.field(description="Won / (won + lost); null if none.")


@guard("sfa.deal")
@strawberry.type(description="Sales figures of a period, within your row scope.")
class SalesAnalytics:
    deals_created: int
    deals_won: int = strawberry.field(description="Closed won in the period.")
    deals_lost: int
    win_rate: float | None = strawberry.field(description="Won / (won + lost); null if none.")
    average_won_amount: Money | None
    average_cycle_days: float | None = strawberry.field(
        description="From opening to a won close, for deals won in the period."
    )
    open_pipeline: Money = strawberry.field(description="Open deals now.")
    weighted_pipeline: Money = strawberry.field(
        description="Open deals now, each amount times its stage's win probability."
    )
    stage_times: list[StageTime]
    win_rate_by_source: list[SourceWinRate] = strawberry.field(
        description="Win rate per source (manual, import, marketing hand-off, converted lead) "
        "of the deals closed in the period."
    )
    leaderboard: list[LeaderboardEntry]
