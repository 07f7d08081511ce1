"""Voice of the customer and retention in GraphQL: feedback categories, the VOC report
(services/voc.py), NPS surveys and their report (services/nps.py), the customer values'
recomputation (services/retention.py) and cross-sell suggestions (services/suggestions.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import guard, requires
from unicrm.core.db.types import utcnow
from unicrm.core.errors import BadRequest, DomainError
from unicrm.core.graph.ids import decode_id, to_global_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.node import Node, parse_global_id
from unicrm.core.graph.plan import loads
from unicrm.core.graph.products.types import Product
from unicrm.core.graph.queries import run_query
from unicrm.core.jobs.queue import enqueue
from unicrm.plugins.crm import models
from unicrm.plugins.crm.services import cases, nps, reminders, retention, suggestions, voc


@guard("crm.voc")
@strawberry.type(description="What customers talk about, found in their words by keywords.")
class FeedbackCategory(Node):
    pk: strawberry.Private[uuid.UUID]
    key: str
    name: str
    keywords: list[str] = strawberry.field(
        description="Thai or English words or phrases, matched anywhere, any case."
    )
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.FeedbackCategory) -> FeedbackCategory:
        return cls(
            id=strawberry.ID(to_global_id("FeedbackCategory", row.id)),
            pk=row.id,
            key=row.key,
            name=row.name,
            keywords=list(row.keywords),
            updated_at=row.updated_at,
        )


@guard("crm.voc")
@strawberry.type(description="How many feedback items fell in a category.")
class VocCategoryCount:
    category: FeedbackCategory
    count: int


def _counts(
    categories: list[FeedbackCategory], counts: voc.Counts
) -> tuple[int, list[VocCategoryCount]]:
    return counts.items, [
        VocCategoryCount(category=c, count=n)
        for c, n in zip(categories, counts.per_category, strict=True)
    ]


@guard("crm.voc")
@strawberry.type(description="The feedback of one period of the trend.")
class VocPeriod:
    since: datetime
    until: datetime
    items: int
    categories: list[VocCategoryCount]


@guard("crm.voc")
@strawberry.type(description="The feedback about one product.")
class VocProduct:
    product_pk: strawberry.Private[uuid.UUID]
    items: int
    categories: list[VocCategoryCount]

    @strawberry.field(description="The product the cases were about.")
    @loads("core.product_by_id", key="product_pk", one=Product.from_row)
    async def product(self, info: strawberry.Info) -> Product | None: ...


@guard("crm.voc")
@strawberry.type(
    description="What customers said in a period (cases they opened, survey comments), by "
    "category: the most talked about, the trend, and per product."
)
class VocReport:
    since: datetime
    until: datetime
    items: int
    top_categories: list[VocCategoryCount] = strawberry.field(
        description="Every category, the most frequent first."
    )
    trend: list[VocPeriod]
    by_product: list[VocProduct] = strawberry.field(
        description="Products with feedback, the most talked about first."
    )

    @classmethod
    def build(cls, report: voc.VocReport) -> VocReport:
        categories = [FeedbackCategory.from_row(c) for c in report.categories]
        items, counts = _counts(categories, report.total)
        trend = []
        for period in report.trend:
            n, per = _counts(categories, period.counts)
            trend.append(VocPeriod(since=period.since, until=period.until, items=n, categories=per))
        products = []
        for pk, product_counts in report.by_product:
            n, per = _counts(categories, product_counts)
            products.append(VocProduct(product_pk=pk, items=n, categories=per))
        return cls(
            since=report.since,
            until=report.until,
            items=items,
            top_categories=sorted(counts, key=lambda c: (-c.count, c.category.key)),
            trend=trend,
            by_product=products,
        )


@strawberry.enum(description="Why a feedback category mutation failed.")
class FeedbackCategoryErrorCode(Enum):
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    TOO_MANY = "too_many"


@strawberry.type
class FeedbackCategoryError:
    field: str | None
    code: FeedbackCategoryErrorCode
    message: str


@strawberry.type
class FeedbackCategoryPayload:
    errors: list[FeedbackCategoryError]
    category: FeedbackCategory | None = None


@strawberry.input(description="A category's key, name and keywords (replaced as a whole).")
class FeedbackCategoryInput:
    key: str = strawberry.field(description="A lower-case key such as delivery or device/screen.")
    name: str
    keywords: list[str]


async def _category_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.FeedbackCategory]]
) -> FeedbackCategoryPayload:
    return await mutate(
        info,
        work,
        payload=FeedbackCategoryPayload,
        error_type=FeedbackCategoryError,
        codes=FeedbackCategoryErrorCode,
        result=lambda row: {"category": FeedbackCategory.from_row(row)},
    )


@strawberry.type
class VocQuery:
    @strawberry.field(metadata=requires("crm.voc:read"), description="Every category, by key.")
    async def feedback_categories(self, info: strawberry.Info) -> list[FeedbackCategory]:
        async def work(session: AsyncSession) -> list[models.FeedbackCategory]:
            stmt = select(models.FeedbackCategory).order_by(models.FeedbackCategory.key)
            return list(await session.scalars(stmt))

        return [FeedbackCategory.from_row(r) for r in await run_query(info, work)]

    @strawberry.field(
        metadata=requires("crm.voc:read"),
        description="The voice-of-the-customer report of [since, until), its trend in "
        "`buckets` equal periods (1-24), over the cases the caller may read.",
    )
    async def voc_report(
        self, info: strawberry.Info, since: datetime, until: datetime, buckets: int = 6
    ) -> VocReport:
        scope = cases.visible_to(info.context)

        async def work(session: AsyncSession) -> voc.VocReport:
            return await voc.report(session, since, until, buckets, scope)

        try:
            return VocReport.build(await run_query(info, work))
        except DomainError as error:
            raise BadRequest("; ".join(e.message for e in error.errors)) from None


@strawberry.type
class VocMutation:
    @strawberry.mutation(
        metadata=requires("crm.voc:write"),
        description="Create the category of a key, or replace its name and keywords.",
    )
    async def feedback_category_set(
        self, info: strawberry.Info, input: FeedbackCategoryInput
    ) -> FeedbackCategoryPayload:
        async def work(session: AsyncSession) -> models.FeedbackCategory:
            data = voc.CategoryData(input.key, input.name, input.keywords)
            return await voc.set_category(session, data)

        return await _category_mutation(info, work)

    @strawberry.mutation(metadata=requires("crm.voc:write"), description="Delete a category.")
    async def feedback_category_delete(
        self, info: strawberry.Info, key: str
    ) -> FeedbackCategoryPayload:
        async def work(session: AsyncSession) -> models.FeedbackCategory:
            return await voc.delete_category(session, key)

        return await _category_mutation(info, work)


@guard("crm.voc")
@strawberry.type(description="NPS answers: promoters (9-10), passives (7-8), detractors (0-6).")
class NpsCounts:
    answers: int
    promoters: int
    passives: int
    detractors: int
    score: float | None = strawberry.field(
        description="The Net Promoter Score: % promoters - % detractors; null without answers."
    )

    @classmethod
    def build(cls, counts: nps.NpsCounts) -> NpsCounts:
        return cls(
            answers=counts.answers,
            promoters=counts.promoters,
            passives=counts.passives,
            detractors=counts.detractors,
            score=counts.score,
        )


@guard("crm.voc")
@strawberry.type(description="The NPS answers of one period.")
class NpsPeriod:
    since: datetime
    until: datetime
    counts: NpsCounts


@guard("crm.voc")
@strawberry.type(description="NPS answers given in a period, in total and over time.")
class NpsReport:
    total: NpsCounts
    trend: list[NpsPeriod]


@strawberry.enum(description="Why an NPS, retention or reminder mutation failed.")
class CrmJobErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    NO_RULE = "no_rule"
    NOT_BOUGHT = "not_bought"


@strawberry.type
class CrmJobError:
    field: str | None
    code: CrmJobErrorCode
    message: str


@strawberry.type(description="A job was enqueued; it runs once the mutation commits.")
class CrmJobPayload:
    errors: list[CrmJobError]
    enqueued: bool = False


@strawberry.input(description="Survey a segment's members, each at most once per quietDays.")
class NpsSurveysSendInput:
    segment_id: strawberry.ID
    quiet_days: int = strawberry.field(
        default=90, description="Skip members surveyed in the last N days (0-3650)."
    )


@strawberry.type
class NpsQuery:
    @strawberry.field(
        metadata=requires("crm.voc:read"),
        description="The NPS of [since, until) in total and in `buckets` equal periods "
        "(1-24), of everyone or of a segment's current members.",
    )
    async def nps_report(
        self,
        info: strawberry.Info,
        since: datetime,
        until: datetime,
        buckets: int = 6,
        segment_id: strawberry.ID | None = None,
    ) -> NpsReport:
        segment = None if segment_id is None else parse_global_id(segment_id, "Segment")[1]

        async def work(session: AsyncSession) -> tuple[nps.NpsCounts, list[nps.NpsPeriod]]:
            return await nps.report(session, since, until, buckets, segment)

        try:
            total, periods = await run_query(info, work)
        except DomainError as error:
            raise BadRequest("; ".join(e.message for e in error.errors)) from None
        return NpsReport(
            total=NpsCounts.build(total),
            trend=[
                NpsPeriod(since=p.since, until=p.until, counts=NpsCounts.build(p.counts))
                for p in periods
            ],
        )


@strawberry.type
class NpsMutation:
    @strawberry.mutation(
        metadata=requires("crm.voc:write"),
        description="Send NPS surveys to a segment's members (e-mail, template "
        "crm.nps_survey), in a durable job; members surveyed in the last quietDays are skipped.",
    )
    async def nps_surveys_send(
        self, info: strawberry.Info, input: NpsSurveysSendInput
    ) -> CrmJobPayload:
        async def work(session: AsyncSession) -> bool:
            segment = decode_id(input.segment_id, "Segment", "segment_id")
            await nps.schedule_send(session, segment, input.quiet_days)
            return True

        return await mutate(
            info,
            work,
            payload=CrmJobPayload,
            error_type=CrmJobError,
            codes=CrmJobErrorCode,
            result=lambda done: {"enqueued": done},
        )


@strawberry.type
class RetentionMutation:
    @strawberry.mutation(
        metadata=requires("crm.retention:write"),
        description="Recompute every customer's RFM scores, lifetime value and churn risk now "
        "(a durable job; it also runs nightly).",
    )
    async def customer_values_recompute(self, info: strawberry.Info) -> CrmJobPayload:
        async def work(session: AsyncSession) -> bool:
            await enqueue(session, retention.JOB, {})
            return True

        return await mutate(
            info,
            work,
            payload=CrmJobPayload,
            error_type=CrmJobError,
            codes=CrmJobErrorCode,
            result=lambda done: {"enqueued": done},
        )


@guard("crm.retention")
@strawberry.type(description="A product often bought together with another.")
class ProductSuggestion:
    product_pk: strawberry.Private[uuid.UUID]
    support: int = strawberry.field(description="How many orders had both products.")
    confidence: float = strawberry.field(
        description="The share of the product's orders that also had this one (0-1)."
    )

    @strawberry.field(description="The product to suggest.")
    @loads("core.product_by_id", key="product_pk", one=Product.from_row)
    async def product(self, info: strawberry.Info) -> Product | None: ...


@strawberry.type
class SuggestionQuery:
    @strawberry.field(
        metadata=requires("crm.retention:read"),
        description="Cross-sell: the products most often bought in the same order as a "
        "product (placed orders), with support and confidence; most first.",
    )
    async def products_bought_with(
        self,
        info: strawberry.Info,
        product_id: strawberry.ID,
        first: int = 5,
        min_support: int = 1,
    ) -> list[ProductSuggestion]:
        pk = parse_global_id(product_id, "Product")[1]

        async def work(session: AsyncSession) -> list[suggestions.Suggestion]:
            return await suggestions.bought_with(session, pk, first, min_support)

        try:
            rows = await run_query(info, work)
        except DomainError as error:
            raise BadRequest("; ".join(e.message for e in error.errors)) from None
        return [
            ProductSuggestion(product_pk=r.product_id, support=r.support, confidence=r.confidence)
            for r in rows
        ]


@strawberry.enum(description="What a reminder is about.")
class ReminderKind(Enum):
    REPURCHASE = "repurchase"
    MAINTENANCE = "maintenance"


@guard("crm.retention")
@strawberry.type(description="How often customers are reminded about a product.")
class ReminderRule:
    product_pk: strawberry.Private[uuid.UUID]
    kind: ReminderKind
    interval_days: int

    @classmethod
    def from_row(cls, row: models.ReminderRule) -> ReminderRule:
        return cls(
            product_pk=row.product_id,
            kind=ReminderKind(row.kind.value),
            interval_days=row.interval_days,
        )

    @strawberry.field(description="The product.")
    @loads("core.product_by_id", key="product_pk", one=Product.from_row)
    async def product(self, info: strawberry.Info) -> Product | None: ...


@strawberry.type
class ReminderRulePayload:
    errors: list[CrmJobError]
    rule: ReminderRule | None = None


@strawberry.input(description="The reminder interval of a product and kind.")
class ReminderRuleInput:
    product_id: strawberry.ID
    kind: ReminderKind
    interval_days: int = strawberry.field(description="1 to 3650 days.")


@strawberry.type
class ReminderSendPayload:
    errors: list[CrmJobError]
    channel: str | None = strawberry.field(
        default=None, description="The channel used; null when the contact policy allows none."
    )


@strawberry.input(description="Remind a customer now about a product they bought.")
class ReminderSendInput:
    customer_id: strawberry.ID
    product_id: strawberry.ID
    kind: ReminderKind


@strawberry.type
class ReminderQuery:
    @strawberry.field(metadata=requires("crm.retention:read"), description="Every reminder rule.")
    async def reminder_rules(self, info: strawberry.Info) -> list[ReminderRule]:
        async def work(session: AsyncSession) -> list[models.ReminderRule]:
            stmt = select(models.ReminderRule).order_by(models.ReminderRule.created_at)
            return list(await session.scalars(stmt))

        return [ReminderRule.from_row(r) for r in await run_query(info, work)]


@strawberry.type
class ReminderMutation:
    @strawberry.mutation(
        metadata=requires("crm.retention:write"),
        description="Set how often customers are reminded to buy a product again, or to "
        "service an item of it they own; the daily job sends the due reminders once.",
    )
    async def reminder_rule_set(
        self, info: strawberry.Info, input: ReminderRuleInput
    ) -> ReminderRulePayload:
        async def work(session: AsyncSession) -> models.ReminderRule:
            return await reminders.set_rule(
                session,
                decode_id(input.product_id, "Product", "product_id"),
                models.ReminderKind(input.kind.value),
                input.interval_days,
            )

        return await mutate(
            info,
            work,
            payload=ReminderRulePayload,
            error_type=CrmJobError,
            codes=CrmJobErrorCode,
            result=lambda rule: {"rule": ReminderRule.from_row(rule)},
        )

    @strawberry.mutation(
        metadata=requires("crm.retention:write"),
        description="Remind a customer now about a product they bought (its rule's template, "
        "the first channel the contact policy allows).",
    )
    async def reminder_send(
        self, info: strawberry.Info, input: ReminderSendInput
    ) -> ReminderSendPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> str | None:
            return await reminders.send_now(
                session,
                decode_id(input.customer_id, "Customer", "customer_id"),
                decode_id(input.product_id, "Product", "product_id"),
                models.ReminderKind(input.kind.value),
                utcnow(),
                zone,
            )

        return await mutate(
            info,
            work,
            payload=ReminderSendPayload,
            error_type=CrmJobError,
            codes=CrmJobErrorCode,
            result=lambda channel: {"channel": channel},
        )
