"""Loyalty's first slice: ``loyaltyMember(cardNumber)`` and ``Customer.loyaltyMember``."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from plugins.support import add_customers, add_rows, customer_gid
from unicrm.plugins.loyalty.models import Member

BY_CARD = """query($card: String!) { loyaltyMember(cardNumber: $card) {
  cardNumber tier pointsBalance status customer { displayName } } }"""


def member(customer_id, card: str, points: int = 0) -> Member:
    return Member(customer_id=customer_id, card_number=card, tier="gold", points_balance=points)


async def test_member_is_found_by_card_number_as_printed(gql, unicrm_state):
    [anan] = await add_customers(unicrm_state, "Anan")
    await add_rows(unicrm_state, member(anan, "8012345678901234", points=1200))

    body = await gql(BY_CARD, {"card": "8012 3456-7890 1234"})

    assert body == {
        "data": {
            "loyaltyMember": {
                "cardNumber": "8012345678901234",
                "tier": "gold",
                "pointsBalance": "1200",
                "status": "ACTIVE",
                "customer": {"displayName": "Anan"},
            }
        }
    }


async def test_unknown_card_number_is_null(gql):
    assert await gql(BY_CARD, {"card": "0000"}) == {"data": {"loyaltyMember": None}}


async def test_points_beyond_53_bits_keep_every_digit(gql, unicrm_state):
    [anan] = await add_customers(unicrm_state, "Anan")
    await add_rows(unicrm_state, member(anan, "1", points=2**53 + 1))
    query = "query($id: ID!) { customer(id: $id) { loyaltyMember { pointsBalance } } }"

    body = await gql(query, {"id": customer_gid(anan)})

    assert body == {"data": {"customer": {"loyaltyMember": {"pointsBalance": "9007199254740993"}}}}


async def test_customer_without_membership_has_null_loyalty_member(gql, unicrm_state):
    [anan] = await add_customers(unicrm_state, "Anan")
    query = "query($id: ID!) { customer(id: $id) { loyaltyMember { cardNumber } } }"

    assert await gql(query, {"id": customer_gid(anan)}) == {
        "data": {"customer": {"loyaltyMember": None}}
    }


@pytest.mark.parametrize("clash", ["card_number", "customer"])
async def test_a_card_and_a_customer_have_one_membership_each(unicrm_state, clash):
    anan, dao = await add_customers(unicrm_state, "Anan", "Dao")
    await add_rows(unicrm_state, member(anan, "111"))
    second = member(dao, "111") if clash == "card_number" else member(anan, "222")

    with pytest.raises(IntegrityError):
        await add_rows(unicrm_state, second)


async def test_a_negative_points_balance_is_refused_by_the_database(unicrm_state):
    [anan] = await add_customers(unicrm_state, "Anan")

    with pytest.raises(IntegrityError):
        await add_rows(unicrm_state, member(anan, "111", points=-1))
