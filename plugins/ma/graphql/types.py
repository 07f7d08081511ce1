from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.graph.consents.models import ConsentChannel as RowChannel
from unicrm.core.graph.consents.models import ConsentPurpose as RowPurpose
from unicrm.core.graph.consents.types import ConsentChannel, ConsentPurpose
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.plan import direct
from unicrm.core.messaging.runtime import current
from unicrm.plugins.ma import models
from unicrm.plugins.ma.services.campaigns import VariantStats, winner
from unicrm.plugins.ma.services.scoring import decayed


@guard("ma.lead_score")
@strawberry.type(description="One change of a lead score and why.")
class LeadScoreReason:
    rule: str = strawberry.field(description="The key of the rule that changed the score.")
    points: int = strawberry.field(description="The points as awarded (or taken back).")
    current_points: float = strawberry.field(
        description="What they count now, halved every half-life since they were awarded."
    )
    reason: str
    at: datetime


@guard("ma.lead_score")
@strawberry.type(description="A customer's lead score under a scoring model.")
class LeadScore:
    customer_pk: strawberry.Private[uuid.UUID]
    half_life_days: strawberry.Private[int | None]
    value: int
    model: str
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.LeadScore) -> LeadScore:
        return cls(
            customer_pk=row.customer_id,
            half_life_days=row.half_life_days,
            value=row.value,
            model=row.model,
            updated_at=row.updated_at,
        )

    @strawberry.field(
        description="Every change of the score, newest first, with its rule and reason: the "
        "current points add up to the value as of its last update."
    )
    @direct
    async def explanation(self, info: strawberry.Info) -> list[LeadScoreReason]:
        rows = await info.context.loaders["ma.score_changes_by_customer"].load(self.customer_pk)
        return [
            LeadScoreReason(
                rule=r.rule,
                points=r.points,
                current_points=round(
                    decayed(r.points, r.at, self.half_life_days, self.updated_at), 2
                ),
                reason=r.reason,
                at=r.at,
            )
            for r in rows
            if r.model == self.model
        ]


MaEngagementKind = strawberry.enum(
    models.EngagementKind, description="What a tracked hit was.", name="MaEngagementKind"
)


@guard("ma.tracking")
@strawberry.type(
    description="One tracked hit: a page view, custom event, e-mail open or click, form fill."
)
class MaTrackingEvent:
    kind: MaEngagementKind
    url: str | None
    name: str | None = strawberry.field(description="A custom event's name or a form's key.")
    bot: bool = strawberry.field(
        description="Made by a machine (scanner, prefetch, crawler): never counted."
    )
    bot_reason: str | None
    occurred_at: datetime

    @classmethod
    def from_row(cls, row: models.TrackingEvent) -> MaTrackingEvent:
        return cls(
            kind=row.kind,
            url=row.url,
            name=row.name,
            bot=row.bot,
            bot_reason=row.bot_reason,
            occurred_at=row.occurred_at,
        )


@strawberry.enum(description="The customer attributes a form field may fill.")
class MaFormAttribute(Enum):
    EMAIL = "email"
    PHONE = "phone"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PROVINCE = "province"


@guard("ma.form")
@strawberry.type(description="A field of a form.")
class MaFormField:
    name: str
    label: str
    attribute: MaFormAttribute | None
    required: bool


@guard("ma.form")
@strawberry.type(description="A consent checkbox of a form: ticked, it grants the consent.")
class MaConsentBox:
    name: str
    label: str
    purpose: ConsentPurpose
    channel: ConsentChannel
    required: bool


@guard("ma.form")
@strawberry.type(description="A web form that captures leads (docs/marketing.md).")
class MaForm:
    id: strawberry.ID
    key: str
    name: str
    active: bool
    submissions_per_minute: int
    fields: list[MaFormField]
    consents: list[MaConsentBox]
    policy_version: str | None = strawberry.field(
        description="The privacy notice version the form shows; ticked boxes grant under it."
    )
    submit_url: str = strawberry.field(description="Where the form posts its answers.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Form) -> MaForm:
        return cls(
            id=strawberry.ID(to_global_id("MaForm", row.id)),
            key=row.key,
            name=row.name,
            active=row.active,
            submissions_per_minute=row.submissions_per_minute,
            fields=[
                MaFormField(
                    name=f["name"],
                    label=f["label"],
                    attribute=MaFormAttribute(f["attribute"]) if f["attribute"] else None,
                    required=f["required"],
                )
                for f in row.fields
            ],
            consents=[
                MaConsentBox(
                    name=c["name"],
                    label=c["label"],
                    purpose=RowPurpose(c["purpose"]),
                    channel=RowChannel(c["channel"]),
                    required=c["required"],
                )
                for c in row.consents
            ],
            policy_version=row.policy_version,
            submit_url=f"{current().settings.public_url}/f/{row.key}",
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@guard("ma.form")
@strawberry.type(description="One accepted form submission.")
class MaFormSubmission:
    id: strawberry.ID
    form_id: strawberry.ID
    answers: JSON
    consents: list[str] = strawberry.field(description="The consents granted: purpose:channel.")
    outcome: str = strawberry.field(description="What the lead upsert did (created, updated…).")
    submitted_at: datetime

    @classmethod
    def from_row(cls, row: models.FormSubmission) -> MaFormSubmission:
        return cls(
            id=strawberry.ID(to_global_id("MaFormSubmission", row.id)),
            form_id=strawberry.ID(to_global_id("MaForm", row.form_id)),
            answers=row.answers,
            consents=list(row.consents),
            outcome=row.outcome,
            submitted_at=row.submitted_at,
        )


@strawberry.enum(description="Why a form mutation failed.")
class MaFormErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    TOO_MANY = "too_many"
    TOO_LONG = "too_long"


@strawberry.type
class MaFormError:
    field: str | None
    code: MaFormErrorCode
    message: str


@strawberry.type
class MaFormPayload:
    errors: list[MaFormError]
    form: MaForm | None = None


@strawberry.input
class MaFormFieldInput:
    name: str
    label: str
    attribute: MaFormAttribute | None = None
    required: bool = False


@strawberry.input
class MaConsentBoxInput:
    name: str
    label: str
    purpose: ConsentPurpose
    channel: ConsentChannel = RowChannel.EMAIL
    required: bool = False


@strawberry.input(description="A form's whole definition.")
class MaFormInput:
    key: str = strawberry.field(description="Names the form in its address: /f/{key}.")
    name: str
    fields: list[MaFormFieldInput]
    consents: list[MaConsentBoxInput] = strawberry.field(default_factory=list)
    policy_version: str | None = strawberry.field(
        default=None, description="Required with consent boxes: the privacy notice version."
    )
    active: bool = True
    submissions_per_minute: int = strawberry.field(
        default=10, description="Most submissions per minute from one client address."
    )


@strawberry.input
class MaFormUpdateInput:
    id: strawberry.ID
    form: MaFormInput


@strawberry.enum(description="What a scoring rule looks at.")
class MaScoringRuleKind(Enum):
    PROFILE = "profile"
    BEHAVIOUR = "behaviour"


@strawberry.enum(description="How a profile rule tests its attribute.")
class MaProfileOp(Enum):
    EQ = "EQ"
    IN = "IN"
    CONTAINS = "CONTAINS"
    GTE = "GTE"
    LTE = "LTE"


@guard("ma.lead_score")
@strawberry.type(description="A rule of a scoring model.")
class MaScoringRule:
    key: str
    name: str
    kind: MaScoringRuleKind
    points: int
    cap: int | None = strawberry.field(description="Most points the rule gives one customer.")
    attribute: str | None = strawberry.field(
        description="Profile rules: industry, kind, company_name, province or attributes.<name>."
    )
    op: MaProfileOp | None
    value: JSON | None
    event: MaEngagementKind | None = strawberry.field(description="Behaviour rules: the hit.")
    url_contains: str | None
    event_name: str | None = strawberry.field(description="A custom event's name, a form key.")

    @classmethod
    def from_json(cls, rule: dict[str, Any]) -> MaScoringRule:
        return cls(
            key=rule["key"],
            name=rule["name"],
            kind=MaScoringRuleKind(rule["kind"]),
            points=rule["points"],
            cap=rule.get("cap"),
            attribute=rule.get("attribute"),
            op=MaProfileOp(rule["op"]) if rule.get("op") else None,
            value=rule.get("value"),
            event=models.EngagementKind(rule["event"]) if rule.get("event") else None,
            url_contains=rule.get("url_contains"),
            event_name=rule.get("event_name"),
        )


@guard("ma.lead_score")
@strawberry.type(description="A lead scoring model (docs/marketing.md#lead-scoring).")
class MaScoringModel:
    id: strawberry.ID
    key: str
    name: str
    threshold: int = strawberry.field(
        description="Crossing it upwards qualifies the lead (ma.lead_qualified)."
    )
    half_life_days: int | None = strawberry.field(description="Points halve every so many days.")
    active: bool
    rules: list[MaScoringRule]
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.ScoringModel) -> MaScoringModel:
        return cls(
            id=strawberry.ID(to_global_id("MaScoringModel", row.id)),
            key=row.key,
            name=row.name,
            threshold=row.threshold,
            half_life_days=row.half_life_days,
            active=row.active,
            rules=[MaScoringRule.from_json(r) for r in row.rules],
            updated_at=row.updated_at,
        )


@strawberry.enum(description="Why a scoring mutation failed.")
class MaScoringErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    TOO_MANY = "too_many"
    NO_ACTIVE_MODEL = "no_active_model"


@strawberry.type
class MaScoringError:
    field: str | None
    code: MaScoringErrorCode
    message: str


@strawberry.type
class MaScoringModelPayload:
    errors: list[MaScoringError]
    model: MaScoringModel | None = None


@strawberry.type
class MaLeadScorePayload:
    errors: list[MaScoringError]
    lead_score: LeadScore | None = None


@strawberry.input
class MaScoringRuleInput:
    key: str
    name: str
    kind: MaScoringRuleKind
    points: int
    cap: int | None = None
    attribute: str | None = None
    op: MaProfileOp | None = None
    value: JSON | None = None
    event: MaEngagementKind | None = None
    url_contains: str | None = None
    event_name: str | None = None


@strawberry.input(description="A scoring model's whole definition, saved by its key.")
class MaScoringModelInput:
    key: str
    name: str
    threshold: int
    rules: list[MaScoringRuleInput]
    half_life_days: int | None = None
    active: bool = True


@strawberry.input
class MaLeadScoreRecomputeInput:
    customer_id: strawberry.ID


MaCampaignStatus = strawberry.enum(
    models.CampaignStatus, description="Where a campaign is.", name="MaCampaignStatus"
)


@guard("ma.campaign")
@strawberry.type(description="A campaign's numbers for one variant (A, or B of an A/B test).")
class MaCampaignVariant:
    variant: str
    recipients: int
    sent: int
    blocked: int = strawberry.field(description="Refused by the contact policy: never sent.")
    opened: int = strawberry.field(description="Recipients who opened (bots not counted).")
    clicked: int = strawberry.field(description="Recipients who clicked (bots not counted).")
    open_rate: float
    click_rate: float

    @classmethod
    def of(cls, stats: VariantStats) -> MaCampaignVariant:
        return cls(
            variant=stats.variant,
            recipients=stats.recipients,
            sent=stats.sent,
            blocked=stats.blocked,
            opened=stats.opened,
            clicked=stats.clicked,
            open_rate=round(stats.open_rate, 4),
            click_rate=round(stats.click_rate, 4),
        )


@guard("ma.campaign")
@strawberry.type(description="A campaign: a core template sent to a segment or list.")
class MaCampaign:
    pk: strawberry.Private[uuid.UUID]
    id: strawberry.ID
    name: str
    segment_id: strawberry.ID | None
    channel: str
    template_key: str
    variant_template_key: str | None = strawberry.field(
        description="The B template of an A/B test: half the audience gets it."
    )
    status: MaCampaignStatus
    send_at: datetime | None
    per_minute: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Campaign) -> MaCampaign:
        return cls(
            pk=row.id,
            id=strawberry.ID(to_global_id("MaCampaign", row.id)),
            name=row.name,
            segment_id=None
            if row.segment_id is None
            else strawberry.ID(to_global_id("Segment", row.segment_id)),
            channel=row.channel,
            template_key=row.template_key,
            variant_template_key=row.variant_template_key,
            status=row.status,
            send_at=row.send_at,
            per_minute=row.per_minute,
            created_at=row.created_at,
        )

    @strawberry.field(description="Recipients, sends, blocks, unique opens and clicks per variant.")
    @direct
    async def variants(self, info: strawberry.Info) -> list[MaCampaignVariant]:
        rows = await info.context.loaders["ma.campaign_stats_by_campaign"].load(self.pk)
        return [MaCampaignVariant.of(s) for s in rows]

    @strawberry.field(
        description="The A/B winner: the variant with the higher open rate (click rate with "
        "byClicks); null without two variants or on a tie."
    )
    @direct
    async def winner(self, info: strawberry.Info, by_clicks: bool = False) -> str | None:
        rows = await info.context.loaders["ma.campaign_stats_by_campaign"].load(self.pk)
        return winner(rows, by_clicks)


@strawberry.enum(description="Why a campaign mutation failed.")
class MaCampaignErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    NOT_DRAFT = "not_draft"


@strawberry.type
class MaCampaignError:
    field: str | None
    code: MaCampaignErrorCode
    message: str


@strawberry.type
class MaCampaignPayload:
    errors: list[MaCampaignError]
    campaign: MaCampaign | None = None


@strawberry.input
class MaCampaignCreateInput:
    name: str
    segment_id: strawberry.ID = strawberry.field(description="A core segment or static list.")
    template_key: str
    channel: str = "email"
    variant_template_key: str | None = None
    per_minute: int = strawberry.field(default=100, description="Messages a minute at most.")


@strawberry.input
class MaCampaignScheduleInput:
    id: strawberry.ID
    send_at: datetime | None = strawberry.field(default=None, description="Defaults to now.")
