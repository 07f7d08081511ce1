from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.plugins.ma.graphql.types import LeadScore as LeadScoreType
from unicrm.plugins.ma.graphql.types import (
    MaCampaign,
    MaCampaignCreateInput,
    MaCampaignError,
    MaCampaignErrorCode,
    MaCampaignPayload,
    MaCampaignScheduleInput,
    MaForm,
    MaFormError,
    MaFormErrorCode,
    MaFormInput,
    MaFormPayload,
    MaFormUpdateInput,
    MaLeadScorePayload,
    MaLeadScoreRecomputeInput,
    MaScoringError,
    MaScoringErrorCode,
    MaScoringModel,
    MaScoringModelInput,
    MaScoringModelPayload,
)
from unicrm.plugins.ma.models import Campaign, Form, LeadScore, ScoringModel
from unicrm.plugins.ma.services import campaigns, forms, scoring


def _form_data(data: MaFormInput) -> forms.FormData:
    return forms.FormData(
        key=data.key.strip(),
        name=data.name,
        fields=[
            forms.FieldSpec(
                name=f.name,
                label=f.label,
                attribute=None if f.attribute is None else f.attribute.value,
                required=f.required,
            )
            for f in data.fields
        ],
        consents=[
            forms.ConsentSpec(
                name=c.name,
                label=c.label,
                purpose=c.purpose.value,
                channel=c.channel.value,
                required=c.required,
            )
            for c in data.consents
        ],
        policy_version=data.policy_version,
        active=data.active,
        submissions_per_minute=data.submissions_per_minute,
    )


def _model_data(data: MaScoringModelInput) -> scoring.ModelData:
    return scoring.ModelData(
        key=data.key.strip(),
        name=data.name,
        threshold=data.threshold,
        half_life_days=data.half_life_days,
        active=data.active,
        rules=[
            scoring.RuleSpec(
                key=r.key.strip(),
                name=r.name,
                kind=r.kind.value,
                points=r.points,
                cap=r.cap,
                attribute=r.attribute,
                op=None if r.op is None else r.op.value,
                value=r.value,
                event=None if r.event is None else r.event.value,
                url_contains=r.url_contains,
                event_name=r.event_name,
            )
            for r in data.rules
        ],
    )


async def _form_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[Form]]
) -> MaFormPayload:
    return await mutate(
        info,
        work,
        payload=MaFormPayload,
        error_type=MaFormError,
        codes=MaFormErrorCode,
        result=lambda form: {"form": MaForm.from_row(form)},
    )


async def _campaign_mutation(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[Campaign]]
) -> MaCampaignPayload:
    return await mutate(
        info,
        work,
        payload=MaCampaignPayload,
        error_type=MaCampaignError,
        codes=MaCampaignErrorCode,
        result=lambda campaign: {"campaign": MaCampaign.from_row(campaign)},
    )


@strawberry.type
class MaMutation:
    @strawberry.mutation(
        metadata=requires("ma.form:write"),
        description="Define a web form: fields mapped to customer attributes, consent boxes.",
    )
    async def ma_form_create(self, info: strawberry.Info, input: MaFormInput) -> MaFormPayload:
        async def work(session: AsyncSession) -> Form:
            return await forms.create_form(session, _form_data(input))

        return await _form_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("ma.form:write"),
        description="Replace a form's definition; past submissions keep their answers.",
    )
    async def ma_form_update(
        self, info: strawberry.Info, input: MaFormUpdateInput
    ) -> MaFormPayload:
        async def work(session: AsyncSession) -> Form:
            form_id = decode_id(input.id, "MaForm", "id")
            return await forms.update_form(session, form_id, _form_data(input.form))

        return await _form_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("ma.lead_score:write"),
        description="Create or replace the scoring model of a key; active, it scores everybody.",
    )
    async def ma_scoring_model_save(
        self, info: strawberry.Info, input: MaScoringModelInput
    ) -> MaScoringModelPayload:
        async def work(session: AsyncSession) -> ScoringModel:
            return await scoring.save_model(session, _model_data(input))

        return await mutate(
            info,
            work,
            payload=MaScoringModelPayload,
            error_type=MaScoringError,
            codes=MaScoringErrorCode,
            result=lambda model: {"model": MaScoringModel.from_row(model)},
        )

    @strawberry.mutation(
        metadata=requires("ma.lead_score:write"),
        description="Score a customer again under the active model now (profile, hits, decay).",
    )
    async def ma_lead_score_recompute(
        self, info: strawberry.Info, input: MaLeadScoreRecomputeInput
    ) -> MaLeadScorePayload:
        async def work(session: AsyncSession) -> LeadScore:
            customer_id = decode_id(input.customer_id, "Customer", "customer_id")
            return await scoring.recompute(session, customer_id)

        return await mutate(
            info,
            work,
            payload=MaLeadScorePayload,
            error_type=MaScoringError,
            codes=MaScoringErrorCode,
            result=lambda score: {"lead_score": LeadScoreType.from_row(score)},
        )

    @strawberry.mutation(
        metadata=requires("ma.campaign:write"),
        description="A draft campaign: a core template (and a B variant) to a segment or list.",
    )
    async def ma_campaign_create(
        self, info: strawberry.Info, input: MaCampaignCreateInput
    ) -> MaCampaignPayload:
        async def work(session: AsyncSession) -> Campaign:
            data = campaigns.CampaignData(
                name=input.name,
                segment_id=decode_id(input.segment_id, "Segment", "segment_id"),
                template_key=input.template_key,
                channel=input.channel,
                variant_template_key=input.variant_template_key,
                per_minute=input.per_minute,
            )
            return await campaigns.create_campaign(session, data)

        return await _campaign_mutation(info, work)

    @strawberry.mutation(
        metadata=requires("ma.campaign:write"),
        description="Send a draft campaign now or at sendAt, in throttled batches.",
    )
    async def ma_campaign_schedule(
        self, info: strawberry.Info, input: MaCampaignScheduleInput
    ) -> MaCampaignPayload:
        async def work(session: AsyncSession) -> Campaign:
            campaign_id = decode_id(input.id, "MaCampaign", "id")
            return await campaigns.schedule(session, campaign_id, input.send_at)

        return await _campaign_mutation(info, work)
