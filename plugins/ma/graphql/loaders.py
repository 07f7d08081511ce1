from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, latest_by, many_per_key, one_per_key
from unicrm.plugins.ma.models import FormSubmission, LeadScore, ScoreChange, TrackingEvent

LOADERS = {
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
