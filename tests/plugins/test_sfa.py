"""SFA's first slice: the ``deals`` connection, ``Customer.deals`` and the ``Deal`` node."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from plugins.support import add_customers, add_rows, customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.graph.ids import to_global_id
from unicrm.plugins.sfa.models import Deal, DealStage

DEALS = """query($after: String, $stage: DealStage) {
  deals(first: 2, after: $after, stage: $stage) {
    edges { node { title stage } } pageInfo { hasNextPage endCursor } totalCount
  }
}"""


def deal(customer_id, title: str, *, minutes: int = 0, **extra) -> Deal:
    values = {"stage": DealStage.COLD, "amount": Decimal("1000"), "currency": "THB", **extra}
    return Deal(
        customer_id=customer_id,
        title=title,
        created_at=utcnow() + timedelta(minutes=minutes),
        **values,
    )


async def test_deals_page_newest_first_by_cursor(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    await add_rows(unicrm_state, *(deal(somchai, f"Deal {i}", minutes=i) for i in range(5)))

    seen, after = [], None
    while True:
        page = (await gql(DEALS, {"after": after}))["data"]["deals"]
        assert page["totalCount"] == 5
        seen += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == ["Deal 4", "Deal 3", "Deal 2", "Deal 1", "Deal 0"]


async def test_deals_filter_by_stage(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    await add_rows(
        unicrm_state,
        deal(somchai, "Cold one"),
        deal(somchai, "Won one", minutes=1, stage=DealStage.CLOSED_WON),
    )

    body = await gql(DEALS, {"stage": "CLOSED_WON"})

    assert body["data"]["deals"]["edges"] == [{"node": {"title": "Won one", "stage": "CLOSED_WON"}}]
    assert body["data"]["deals"]["totalCount"] == 1


async def test_deals_page_size_over_the_limit_is_a_bad_request(gql):
    body = await gql("{ deals(first: 101) { totalCount } }")

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_malformed_deals_cursor_is_a_bad_request(gql):
    body = await gql('{ deals(first: 2, after: "not-a-cursor") { totalCount } }')

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_customer_deals_lists_the_customers_own_deals_newest_first(gql, unicrm_state):
    somchai, malee = await add_customers(unicrm_state, "Somchai", "Malee")
    await add_rows(
        unicrm_state,
        deal(somchai, "Older", minutes=1),
        deal(somchai, "Newer", minutes=2),
        deal(malee, "Not Somchai's", minutes=3),
    )
    query = "query($id: ID!) { customer(id: $id) { deals { title } } }"

    body = await gql(query, {"id": customer_gid(somchai)})

    assert body == {"data": {"customer": {"deals": [{"title": "Newer"}, {"title": "Older"}]}}}


async def test_a_deal_is_a_node_with_exact_money_and_its_customer(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    row = deal(somchai, "Fleet renewal", amount=Decimal("1234567.8912"))
    await add_rows(unicrm_state, row)
    query = """query($id: ID!) { node(id: $id) { ... on Deal {
        title amount { amount currency } customer { displayName } } } }"""

    body = await gql(query, {"id": to_global_id("Deal", row.id)})

    assert body == {
        "data": {
            "node": {
                "title": "Fleet renewal",
                "amount": {"amount": "1234567.8912", "currency": "THB"},
                "customer": {"displayName": "Somchai"},
            }
        }
    }
