"""Core's customer merge carries every plugin's rows to the survivor and journals them."""

from __future__ import annotations

from sqlalchemy import select

from plugins.sfa_support import b2b
from plugins.sfa_support import deal as sfa_deal
from plugins.support import add_customers, add_rows, customer_gid, loyalty_member, loyalty_program
from unicrm.core.graph.merge.models import CustomerMergeJournalEntry
from unicrm.plugins.crm.models import Case

MERGE = """mutation($input: CustomerMergeInput!) {
  customerMerge(input: $input) { customer { displayName } errors { code } }
}"""
AFTER = """query($id: ID!) { customer(id: $id) {
  deals { title } cases { subject } loyaltyMember { cardNumber pointsBalance }
} }"""


async def test_merging_customers_moves_deals_cases_and_points_to_the_survivor(gql, unicrm_state):
    source, target = await add_customers(unicrm_state, "Source", "Target")
    club = await loyalty_program(unicrm_state)
    stage = (await b2b(unicrm_state))["Opportunity"]
    await add_rows(
        unicrm_state,
        sfa_deal(source, stage, "Fleet renewal"),
        Case(customer_id=source, subject="Warranty claim"),
        loyalty_member(club, source, "111", "gold", 300),
        loyalty_member(club, target, "222", "silver", 45),
    )

    merged = await gql(
        MERGE, {"input": {"sourceId": customer_gid(source), "targetId": customer_gid(target)}}
    )
    body = await gql(AFTER, {"id": customer_gid(target)})

    assert merged["data"]["customerMerge"]["errors"] == []
    assert body == {
        "data": {
            "customer": {
                "deals": [{"title": "Fleet renewal"}],
                "cases": [{"subject": "Warranty claim"}],
                "loyaltyMember": {"cardNumber": "222", "pointsBalance": "345"},
            }
        }
    }
    async with unicrm_state.db.session() as session:
        journaled = set(
            (
                await session.execute(
                    select(
                        CustomerMergeJournalEntry.action, CustomerMergeJournalEntry.table_name
                    ).where(
                        CustomerMergeJournalEntry.table_name.in_(
                            ("sfa_deal", "crm_case", "loyalty_member")
                        )
                    )
                )
            ).all()
        )
    assert journaled == {
        ("MOVED", "sfa_deal"),
        ("MOVED", "crm_case"),
        ("MOVED", "loyalty_member"),
        ("DROPPED", "loyalty_member"),
    }
