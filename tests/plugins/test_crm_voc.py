"""Voice of the customer: categories with Thai and English keywords, editable, and the VOC
report of what customers wrote (cases, survey comments) by category, over time and per
product. Bad categories and bad report periods change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from plugins.crm_support import codes, product
from plugins.support import add_customers, add_rows
from unicrm.core.db.types import utcnow
from unicrm.plugins.crm.models import Case, FeedbackCategory, Survey

SET = """mutation($input: FeedbackCategoryInput!) { feedbackCategorySet(input: $input) {
    errors { field code message } category { key name keywords } } }"""
DELETE = "mutation($key: String!) { feedbackCategoryDelete(key: $key) { errors { field code } } }"
REPORT = """query($since: DateTime!, $until: DateTime!, $buckets: Int!) {
  vocReport(since: $since, until: $until, buckets: $buckets) {
    items
    topCategories { category { key } count }
    trend { items categories { category { key } count } }
    byProduct { product { sku } items categories { category { key } count } } } }"""


async def _count(state) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(FeedbackCategory)))


def _by_key(counts: list[dict]) -> dict[str, int]:
    return {c["category"]["key"]: c["count"] for c in counts}


async def test_the_voc_report_counts_what_customers_said_by_category(gql, unicrm_state):
    state = unicrm_state
    for key, name, words in (
        ("delivery", "Delivery", ["late", "ส่งช้า", "ขนส่ง"]),
        ("billing", "Billing", ["Invoice", "เก็บเงินซ้ำ"]),
    ):
        done = await gql(SET, {"input": {"key": key, "name": name, "keywords": words}})
        assert done["data"]["feedbackCategorySet"]["errors"] == []
    router = await product(state, "ROUTER-V")
    [malee] = await add_customers(state, "Malee")
    now = utcnow()
    old = now - timedelta(days=45)
    rows = [
        Case(customer_id=malee, subject="ส่งช้ามาก", product_id=router, opened_at=old),
        Case(customer_id=malee, subject="Parcel LATE again", product_id=router, opened_at=now),
        Case(customer_id=malee, subject="Wrong INVOICE", opened_at=now),
        Case(customer_id=malee, subject="Hello", category="billing", opened_at=now),
        Case(customer_id=malee, subject="Nothing to see", opened_at=now),
        Case(customer_id=malee, subject="Way before", opened_at=now - timedelta(days=400)),
    ]
    await add_rows(state, *rows)
    await add_rows(
        state,
        Survey(case_id=rows[4].id, score=2, comment="ถูกเก็บเงินซ้ำ", answered_at=now),
    )
    since, until = now - timedelta(days=60), now + timedelta(minutes=1)
    variables = {"since": since.isoformat(), "until": until.isoformat(), "buckets": 2}

    report = (await gql(REPORT, variables))["data"]["vocReport"]

    assert report["items"] == 6  # five cases in the period and one survey comment
    assert report["topCategories"] == [
        {"category": {"key": "billing"}, "count": 3},
        {"category": {"key": "delivery"}, "count": 2},
    ]
    assert [_by_key(p["categories"]) for p in report["trend"]] == [
        {"delivery": 1, "billing": 0},
        {"delivery": 1, "billing": 3},
    ]
    [per_product] = report["byProduct"]
    assert per_product["product"] == {"sku": "ROUTER-V"} and per_product["items"] == 2
    assert _by_key(per_product["categories"]) == {"delivery": 2, "billing": 0}

    # categories are editable: the report follows at once
    edited = {"key": "delivery", "name": "Delivery", "keywords": ["late"]}
    assert (await gql(SET, {"input": edited}))["data"]["feedbackCategorySet"]["errors"] == []
    report = (await gql(REPORT, variables))["data"]["vocReport"]
    assert _by_key(report["topCategories"])["delivery"] == 1
    assert (await gql(DELETE, {"key": "delivery"}))["data"]["feedbackCategoryDelete"][
        "errors"
    ] == []
    report = (await gql(REPORT, variables))["data"]["vocReport"]
    assert [c["category"]["key"] for c in report["topCategories"]] == ["billing"]


async def test_bad_categories_and_periods_are_refused(gql, unicrm_state):
    await gql(SET, {"input": {"key": "delivery", "name": "Delivery", "keywords": ["late"]}})
    bad = [
        ({"key": "Not a key!", "name": "X", "keywords": ["x"]}, [("key", "INVALID")]),
        ({"key": "x", "name": " ", "keywords": ["x"]}, [("name", "REQUIRED")]),
        ({"key": "x", "name": "X", "keywords": [" ", ""]}, [("keywords", "REQUIRED")]),
        ({"key": "x", "name": "X", "keywords": ["y" * 51]}, [("keywords.0", "TOO_LONG")]),
        (
            {"key": "x", "name": "X", "keywords": [str(i) for i in range(51)]},
            [("keywords", "TOO_MANY")],
        ),
    ]
    for data, expected in bad:
        assert codes((await gql(SET, {"input": data}))["data"]["feedbackCategorySet"]) == expected
    missing = await gql(DELETE, {"key": "nope"})
    assert codes(missing["data"]["feedbackCategoryDelete"]) == [("key", "NOT_FOUND")]
    assert await _count(unicrm_state) == 1

    now = utcnow()
    for since, until, buckets in ((now, now, 2), (now, now + timedelta(days=1), 0)):
        variables = {"since": since.isoformat(), "until": until.isoformat(), "buckets": buckets}
        answer = await gql(REPORT, variables)
        assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
