"""SFA's listing: the ``deals`` connection, ``Customer.deals`` and the ``Deal`` node."""

from __future__ import annotations

import uuid
from decimal import Decimal

from plugins.sfa_support import b2b, deal, gid
from plugins.support import add_customers, add_rows, customer_gid

DEALS = """query($after: String, $stageId: ID) {
  deals(first: 2, after: $after, stageId: $stageId) {
    edges { node { title stage { name } } } pageInfo { hasNextPage endCursor } totalCount
  }
}"""


async def test_deals_page_newest_first_by_cursor(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    await add_rows(
        unicrm_state,
        *(deal(somchai, stages["Opportunity"], f"Deal {i}", minutes=i) for i in range(5)),
    )

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
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    won = stages["Closed Won"]
    await add_rows(
        unicrm_state,
        deal(somchai, stages["Opportunity"], "Open one"),
        deal(somchai, won, "Won one", minutes=1),
    )

    body = await gql(DEALS, {"stageId": gid("PipelineStage", won.id)})

    assert body["data"]["deals"]["edges"] == [
        {"node": {"title": "Won one", "stage": {"name": "Closed Won"}}}
    ]
    assert body["data"]["deals"]["totalCount"] == 1


async def test_deals_filter_with_an_id_of_another_type_is_a_bad_request(gql):
    body = await gql(DEALS, {"stageId": customer_gid(uuid.UUID(int=1))})

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_deals_page_size_over_the_limit_is_a_bad_request(gql):
    body = await gql("{ deals(first: 101) { totalCount } }")

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_malformed_deals_cursor_is_a_bad_request(gql):
    body = await gql('{ deals(first: 2, after: "not-a-cursor") { totalCount } }')

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_customer_deals_lists_the_customers_own_deals_newest_first(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    somchai, malee = await add_customers(unicrm_state, "Somchai", "Malee")
    at = stages["Qualify"]
    await add_rows(
        unicrm_state,
        deal(somchai, at, "Older", minutes=1),
        deal(somchai, at, "Newer", minutes=2),
        deal(malee, at, "Not Somchai's", minutes=3),
    )
    query = "query($id: ID!) { customer(id: $id) { deals { title } } }"

    body = await gql(query, {"id": customer_gid(somchai)})

    assert body == {"data": {"customer": {"deals": [{"title": "Newer"}, {"title": "Older"}]}}}


async def test_a_deal_is_a_node_with_exact_money_and_its_customer(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    row = deal(somchai, stages["Negotiation"], "Fleet renewal", amount=Decimal("1234567.8912"))
    await add_rows(unicrm_state, row)
    query = """query($id: ID!) { node(id: $id) { ... on Deal {
        title amount { amount currency } customer { displayName }
        stage { name probability kind } pipeline { name isDefault } version } } }"""

    body = await gql(query, {"id": gid("Deal", row.id)})

    assert body == {
        "data": {
            "node": {
                "title": "Fleet renewal",
                "amount": {"amount": "1234567.8912", "currency": "THB"},
                "customer": {"displayName": "Somchai"},
                "stage": {"name": "Negotiation", "probability": 60, "kind": "OPEN"},
                "pipeline": {"name": "B2B", "isDefault": True},
                "version": 1,
            }
        }
    }
