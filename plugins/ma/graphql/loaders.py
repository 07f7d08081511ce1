from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import entities_by, latest_by, many_per_key, one_per_key
from unicrm.plugins.ma.models import FormSubmission, LeadScore, ScoreChange, TrackingEvent
from unicrm.plugins.ma.services.campaigns import stats


async def _campaign_stats(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    found = await stats(session, keys)
    return [(key, found.get(key, [])) for key in keys]


LOADERS = {
    "ma.campaign_stats_by_campaign": one_per_key(_campaign_stats),
    "ma.lead_score_by_customer": one_per_key(entities_by(LeadScore.customer_id)),
    "ma.latest_tracking_events_by_customer": many_per_key(
        latest_by(
            TrackingEvent.customer_id, TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc()
        )
    ),
    "ma.score_changes_by_customer": many_per_key(
        entities_by(ScoreChange.customer_id, ScoreChange.at.desc(), ScoreChange.id.desc())
    ),
    "ma.form_submissions_by_customer": many_per_key(
        entities_by(
            FormSubmission.customer_id, FormSubmission.submitted_at.desc(), FormSubmission.id
        )
    ),
}
