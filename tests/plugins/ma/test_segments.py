"""MA's behaviour filters in core's segment engine: counts of hits in a window (bots never
count, opens and clicks per e-mail), visited URLs, the last visit, the lead score; a whole
segment stays one SQL statement."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from plugins.ma.support import add_person
from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.core.segments.compile import Catalog, count_statement, customers_statement, resolve
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.ma.models import EngagementKind, LeadScore, TrackingEvent

PREVIEW = """
query($d: SegmentFilterInput!) {
  segmentPreview(definition: $d, sample: 10) { errors { field code } count sample { firstName } }
}"""


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def _hit(customer: uuid.UUID, kind: EngagementKind, days_ago: int = 1, **values: Any):
    return TrackingEvent(
        kind=kind, customer_id=customer, occurred_at=utcnow() - timedelta(days=days_ago), **values
    )


async def _people(state) -> dict[str, uuid.UUID]:
    """Anan visited pricing 3 times lately and asked for a demo; Bua visited pricing long ago;
    Chai has only bot hits."""
    names = {n: await add_person(state, n, None, consent=False) for n in ("Anan", "Bua", "Chai")}
    anan, bua, chai = names.values()
    rows = [
        *(_hit(anan, EngagementKind.PAGE_VIEW, url="https://shop.test/pricing") for _ in range(3)),
        _hit(anan, EngagementKind.FORM_SUBMIT, name="demo-request"),
        _hit(bua, EngagementKind.PAGE_VIEW, days_ago=60, url="https://shop.test/pricing"),
        _hit(chai, EngagementKind.EMAIL_OPEN, bot=True),
        _hit(chai, EngagementKind.PAGE_VIEW, bot=True, url="https://shop.test/pricing"),
        LeadScore(customer_id=anan, value=75),
        LeadScore(customer_id=bua, value=20),
    ]
    async with state.db.transaction() as session:
        session.add_all(rows)
    return names


async def _names(gql, definition: dict[str, Any]) -> list[str]:
    data = await gql(PREVIEW, {"d": definition})
    assert "errors" not in data, data
    preview = data["data"]["segmentPreview"]
    assert preview["errors"] == [], preview
    return sorted(c["firstName"] for c in preview["sample"])


async def test_behaviour_filters_select_by_hits_in_a_window_and_never_count_bots(unicrm_state, gql):
    await _people(unicrm_state)

    assert await _names(gql, cond("ma.page_views_30d", "GTE", 3)) == ["Anan"]
    assert await _names(gql, cond("ma.page_views_90d", "GTE", 1)) == ["Anan", "Bua"]
    assert await _names(gql, cond("ma.visited_url_30d", "CONTAINS", "/pricing")) == ["Anan"]
    assert await _names(gql, cond("ma.form_fills_7d", "EQ", 1)) == ["Anan"]
    assert await _names(gql, cond("ma.last_visit_at", "IN_LAST_DAYS", 30)) == ["Anan"]
    assert await _names(gql, cond("ma.last_visit_at", "IS_NOT_SET")) == ["Chai"]
    assert await _names(gql, cond("ma.lead_score", "BETWEEN", [50, 100])) == ["Anan"]
    assert await _names(gql, cond("ma.lead_score", "IS_NOT_SET")) == ["Chai"]
    assert await _names(gql, cond("ma.email_opens_30d", "GTE", 1)) == []  # Chai's were a bot's


async def test_opens_and_clicks_count_distinct_emails(unicrm_state, gql):
    bua = await add_person(unicrm_state, "Bua", None, consent=False)
    anan = await add_person(unicrm_state, "Anan", None, consent=False)
    from unicrm.core.messaging.models import Message, MessagePurpose, MessageStatus

    async with unicrm_state.db.transaction() as session:
        messages = [
            Message(
                customer_id=customer,
                channel="email",
                purpose=MessagePurpose.MARKETING,
                template_key="news",
                template_version=1,
                locale="th",
                sender_key=f"news-{i}",
                status=MessageStatus.SENT,
            )
            for i, customer in enumerate((anan, anan, bua))
        ]
        session.add_all(messages)
        await session.flush()
        session.add_all(
            [
                _hit(anan, EngagementKind.EMAIL_OPEN, message_id=messages[0].id),
                _hit(anan, EngagementKind.EMAIL_OPEN, message_id=messages[1].id),
                *(
                    _hit(bua, EngagementKind.EMAIL_OPEN, message_id=messages[2].id)
                    for _ in range(3)
                ),
                _hit(bua, EngagementKind.EMAIL_CLICK, message_id=messages[2].id),
            ]
        )

    assert await _names(gql, cond("ma.email_opens_30d", "GTE", 2)) == ["Anan"]
    assert await _names(gql, cond("ma.email_clicks_30d", "GTE", 1)) == ["Bua"]


async def test_a_segment_of_behaviour_conditions_is_one_statement(unicrm_state):
    await _people(unicrm_state)
    tree_input = {
        "and": [
            cond("ma.form_fills_30d", "GTE", 1),
            cond("ma.visited_url_30d", "CONTAINS", "/pricing"),
            cond("ma.page_views_30d", "GTE", 3),
            cond("ma.lead_score", "GTE", 50),
        ]
    }
    async with unicrm_state.db.session() as session:
        tree = await resolve(session, tree_input, Catalog.for_plugins(unicrm_state.registry, None))
        await session.execute(select(1))  # opens the transaction (SQLite's BEGIN)
        with StatementCounter(unicrm_state) as counter:
            count = await session.scalar(count_statement(tree))
            rows = list(await session.scalars(customers_statement(tree).order_by(Customer.id)))
    assert (count, counter.count) == (1, 2)
    assert [r.first_name for r in rows] == ["Anan"]


async def test_bad_behaviour_conditions_answer_errors(unicrm_state, gql):
    for definition, code in [
        (cond("ma.page_views_30d", "GTE", "many"), "INVALID_VALUE"),
        (cond("ma.page_views_30d", "CONTAINS", "x"), "UNSUPPORTED_OPERATOR"),
        (cond("ma.page_views_31d", "GTE", 1), "UNKNOWN_FIELD"),
        (cond("ma.visited_url_30d", "CONTAINS", ""), "INVALID_VALUE"),
    ]:
        data = await gql(PREVIEW, {"d": definition})
        [error] = data["data"]["segmentPreview"]["errors"]
        assert error["code"] == code, definition
