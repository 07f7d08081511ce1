from __future__ import annotations

import strawberry
from sqlalchemy import func, select

from unicrm.core.authz.declare import guard, requires
from unicrm.core.graph.queries import run_query
from unicrm.plugins.ma.graphql.types import MaCampaign, MaForm, MaScoringModel
from unicrm.plugins.ma.models import Campaign, Form, LeadScore, ScoringModel


@guard("ma.lead_score")
@strawberry.type(description="How many leads sit in each score band.")
class ScoreBand:
    lower: int
    upper: int
    count: int


@strawberry.type
class MaQuery:
    @strawberry.field(
        metadata=requires("ma.lead_score:read"),
        description="Lead counts per band of 25 score points.",
    )
    async def lead_score_distribution(self, info: strawberry.Info) -> list[ScoreBand]:
        band = (LeadScore.value / 25).label("band")

        async def work(session):
            rows = await session.execute(select(band, func.count()).group_by(band).order_by(band))
            return [ScoreBand(lower=b * 25, upper=b * 25 + 24, count=c) for b, c in rows.all()]

        return await run_query(info, work)

    @strawberry.field(metadata=requires("ma.form:read"), description="Every web form, by key.")
    async def ma_forms(self, info: strawberry.Info) -> list[MaForm]:
        async def work(session):
            rows = await session.scalars(select(Form).order_by(Form.key))
            return [MaForm.from_row(r) for r in rows]

        return await run_query(info, work)

    @strawberry.field(
        metadata=requires("ma.lead_score:read"),
        description="Every lead scoring model, the active one first.",
    )
    async def ma_scoring_models(self, info: strawberry.Info) -> list[MaScoringModel]:
        async def work(session):
            rows = await session.scalars(
                select(ScoringModel).order_by(ScoringModel.active.desc(), ScoringModel.key)
            )
            return [MaScoringModel.from_row(r) for r in rows]

        return await run_query(info, work)

    @strawberry.field(
        metadata=requires("ma.campaign:read"), description="Campaigns, newest first (at most 100)."
    )
    async def ma_campaigns(self, info: strawberry.Info) -> list[MaCampaign]:
        async def work(session):
            rows = await session.scalars(
                select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(100)
            )
            return [MaCampaign.from_row(r) for r in rows]

        return await run_query(info, work)
