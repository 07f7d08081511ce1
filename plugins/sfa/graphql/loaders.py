"""SFA's loaders: deals and activities (row-scoped), pipelines, stages, deal contacts and
stage history."""

from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, latest_by, many_per_key, one_per_key
from unicrm.plugins.sfa.models import (
    Activity,
    AssignmentRule,
    Deal,
    DealAssignment,
    DealContact,
    Pipeline,
    Quote,
    QuoteLine,
    Stage,
    StageChange,
)
from unicrm.plugins.sfa.services import activities, quotes
from unicrm.plugins.sfa.services.deals import visible_to

DEALS, STAGES = Deal.__table__, Stage.__table__
"""Deals and stages load as light Core rows: the board and every customer page read them."""

LOADERS = {
    "sfa.deal_by_id": one_per_key(entities_by(DEALS.c.id), visible_to),
    "sfa.deals_by_customer": many_per_key(
        entities_by(DEALS.c.customer_id, Deal.created_at.desc(), Deal.id.desc()), visible_to
    ),
    "sfa.pipeline_by_id": one_per_key(entities_by(Pipeline.__table__.c.id)),
    "sfa.stage_by_id": one_per_key(entities_by(STAGES.c.id)),
    "sfa.stages_by_pipeline": many_per_key(
        entities_by(STAGES.c.pipeline_id, Stage.position, Stage.id)
    ),
    "sfa.contacts_by_deal": many_per_key(
        entities_by(DealContact.deal_id, DealContact.created_at, DealContact.id)
    ),
    "sfa.stage_changes_by_deal": many_per_key(
        entities_by(StageChange.deal_id, StageChange.changed_at, StageChange.id)
    ),
    "sfa.activity_by_id": one_per_key(entities_by(Activity.id), activities.visible_to),
    "sfa.activities_by_deal": many_per_key(
        entities_by(Activity.deal_id, Activity.occurred_at.desc(), Activity.id.desc()),
        activities.visible_to,
    ),
    "sfa.latest_activities_by_customer": many_per_key(
        latest_by(Activity.customer_id, Activity.occurred_at.desc(), Activity.id.desc()),
        activities.visible_to,
    ),
    "sfa.quote_by_id": one_per_key(entities_by(Quote.id), quotes.visible_to),
    "sfa.quotes_by_deal": many_per_key(
        entities_by(Quote.deal_id, Quote.created_at.desc(), Quote.id.desc()), quotes.visible_to
    ),
    "sfa.lines_by_quote": many_per_key(entities_by(QuoteLine.quote_id, QuoteLine.position)),
    "sfa.assignment_rule_by_id": one_per_key(entities_by(AssignmentRule.id)),
    "sfa.assignments_by_deal": many_per_key(
        entities_by(DealAssignment.deal_id, DealAssignment.assigned_at, DealAssignment.id)
    ),
}
