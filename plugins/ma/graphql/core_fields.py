"""Fields MA adds to core types. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct
from unicrm.plugins.ma.graphql.types import LeadScore, MaFormSubmission, MaTrackingEvent

MAX_LAST = 100


def type_fields() -> dict[str, list[Any]]:
    @direct
    async def lead_score(root: Customer, info: strawberry.Info) -> LeadScore | None:
        row = await info.context.loaders["ma.lead_score_by_customer"].load(root.pk)
        return None if row is None else LeadScore.from_row(row)

    @direct
    async def ma_activity(
        root: Customer, info: strawberry.Info, last: int = 20
    ) -> list[MaTrackingEvent] | None:
        key = (root.pk, max(1, min(last, MAX_LAST)))
        rows = await info.context.loaders["ma.latest_tracking_events_by_customer"].load(key)
        return [MaTrackingEvent.from_row(r) for r in rows]

    @direct
    async def ma_form_submissions(
        root: Customer, info: strawberry.Info
    ) -> list[MaFormSubmission] | None:
        rows = await info.context.loaders["ma.form_submissions_by_customer"].load(root.pk)
        return [MaFormSubmission.from_row(r) for r in rows]

    return {
        "Customer": [
            strawberry.field(resolver=lead_score, description="Current lead score."),
            strawberry.field(
                resolver=ma_activity,
                description=f"The customer's latest tracked hits, newest first (at most "
                f"{MAX_LAST}); bot hits are included and flagged.",
            ),
            strawberry.field(
                resolver=ma_form_submissions,
                description="The customer's web form submissions, newest first.",
            ),
        ]
    }
