"""MA's part of a customer merge: the survivor keeps the higher lead score."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.support import add_customers, add_rows
from unicrm.core.db.ids import uuid7
from unicrm.core.graph.merge.journal import MergeJournal
from unicrm.plugins.ma.models import LeadScore


@pytest.mark.parametrize(("source_score", "target_score"), [(90, 40), (40, 90), (50, None)])
async def test_merge_keeps_the_higher_score_on_the_survivor(
    unicrm_state, source_score, target_score
):
    source, target = await add_customers(unicrm_state, "Source", "Target")
    await add_rows(unicrm_state, LeadScore(customer_id=source, value=source_score))
    if target_score is not None:
        await add_rows(unicrm_state, LeadScore(customer_id=target, value=target_score))
    journal = MergeJournal(uuid7())

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_merge",
            only=["ma"],
            source_id=source,
            target_id=target,
            session=session,
            journal=journal,
        )

    async with unicrm_state.db.session() as session:
        scores = (await session.execute(select(LeadScore.customer_id, LeadScore.value))).all()
    assert scores == [(target, max(source_score, target_score or 0))]
    dropped = [e for e in journal.pending if e["action"] == "DROPPED"]
    assert len(dropped) == (target_score is not None)
