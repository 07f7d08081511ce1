"""Programmes, enrolment (self sign-up and POS, phone as key, consent captured), look-ups by
card, phone and QR value, status, and what store staff may see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from plugins.loyalty.support import ENROLL, MEMBER_FIELDS, enroll, pk, setup_program
from plugins.support import add_customers, customer_gid
from unicrm.core.graph.consents.models import ConsentState
from unicrm.core.graph.stores.models import Store, StoreStaff
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.graph.users.models import User
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

PROGRAM = """mutation($input: LoyaltyProgramCreateInput!) { loyaltyProgramCreate(input: $input) {
  program { code currency expiryMonths negativeBalancePolicy memberTypes { code } }
  errors { field code } } }"""
BY = f"""query($card: String, $phone: String, $qr: String) {{
  loyaltyMember(cardNumber: $card, phone: $phone, qrValue: $qr) {{ {MEMBER_FIELDS}
  memberType {{ code }} program {{ code }} customer {{ displayName }} }} }}"""


async def test_a_programme_is_created_with_its_member_types(gql):
    body = await gql(
        PROGRAM,
        {
            "input": {
                "code": "club",
                "name": "Club",
                "currency": "thb",
                "negativeBalancePolicy": "REJECT",
                "memberTypes": [
                    {"code": "general", "name": "General"},
                    {"code": "staff", "name": "Staff"},
                ],
            }
        },
    )

    assert body["data"]["loyaltyProgramCreate"] == {
        "program": {
            "code": "club",
            "currency": "THB",
            "expiryMonths": 12,
            "negativeBalancePolicy": "REJECT",
            "memberTypes": [{"code": "general"}, {"code": "staff"}],
        },
        "errors": [],
    }
    again = await gql(PROGRAM, {"input": {"code": "club", "name": "x", "currency": "THB"}})
    assert again["data"]["loyaltyProgramCreate"]["errors"] == [
        {"field": "code", "code": "DUPLICATE"}
    ]
    bad = await gql(
        PROGRAM, {"input": {"code": "a b", "name": "", "currency": "TH", "expiryMonths": 0}}
    )
    assert {e["field"] for e in bad["data"]["loyaltyProgramCreate"]["errors"]} == {
        "code",
        "name",
        "currency",
        "expiryMonths",
    }


async def test_self_sign_up_creates_the_customer_records_consent_and_the_timeline(
    gql, unicrm_state
):
    await setup_program(unicrm_state)

    member = await enroll(gql, phone="081-234-5678", lastName="Sukjai")

    assert member["phone"] == "+66812345678"
    assert member["status"] == "ACTIVE" and member["channel"] == "SELF"
    assert member["tier"] == "silver" and member["pointsBalance"] == "0"
    assert len(member["cardNumber"]) == 16 and len(member["qrValue"]) == 32
    found = await gql(BY, {"phone": "0812345678"})
    assert found["data"]["loyaltyMember"]["customer"] == {"displayName": "Anan Sukjai"}
    assert found["data"]["loyaltyMember"]["memberType"] == {"code": "general"}
    for key in ({"card": member["cardNumber"]}, {"qr": member["qrValue"]}):
        assert (await gql(BY, key))["data"]["loyaltyMember"]["id"] == member["id"]
    async with unicrm_state.db.session() as session:
        consent = await session.scalar(select(ConsentState))
        kinds = (await session.scalars(select(TimelineEntry.kind))).all()
    assert (consent.purpose.value, consent.channel.value, consent.status.value) == (
        "marketing",
        "sms",
        "granted",
    )
    assert "loyalty.member_enrolled" in kinds


async def test_pos_enrolment_finds_the_customer_by_phone_and_records_a_refusal(gql, unicrm_state):
    await setup_program(unicrm_state)
    [anan] = await add_customers(unicrm_state, "Anan")
    await gql(
        """mutation($id: ID!) { customerPhoneAdd(input: {customerId: $id, number: "0812345678"}) {
        errors { code } } }""",
        {"id": customer_gid(anan)},
    )

    member = await enroll(
        gql,
        channel="POS",
        storeCode="BKK01",
        marketingConsent=False,
        memberType="vip",
        firstName=None,
    )

    assert member["channel"] == "POS"
    found = await gql(
        "query($id: ID!) { customer(id: $id) { loyaltyMember { id } loyaltyMemberships { id } } }",
        {"id": customer_gid(anan)},
    )
    assert found["data"]["customer"] == {
        "loyaltyMember": {"id": member["id"]},
        "loyaltyMemberships": [{"id": member["id"]}],
    }
    async with unicrm_state.db.session() as session:
        consent = await session.scalar(select(ConsentState))
    assert consent.status.value == "withdrawn"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"programCode": "nope"}, "PROGRAM_NOT_FOUND", "programCode"),
        ({"phone": "12"}, "INVALID", "phone"),
        ({"channel": "POS"}, "REQUIRED", "storeCode"),
        ({"storeCode": "NOPE"}, "STORE_NOT_FOUND", "storeCode"),
        ({"memberType": "gold"}, "MEMBER_TYPE_NOT_FOUND", "memberType"),
        ({"firstName": "  "}, "REQUIRED", "firstName"),
        ({"consentPolicyVersion": None}, "REQUIRED", "consentPolicyVersion"),
        ({"cardNumber": "12AB"}, "INVALID", "cardNumber"),
        (
            {
                "customerId": customer_gid(
                    pk("TG95YWx0eU1lbWJlcjowMWEyMDliMWY4ZTA3MjMwYWZkNmViOGY3NzM5Y2FhZg")
                )
            },
            "CUSTOMER_NOT_FOUND",
            "customerId",
        ),
    ],
)
async def test_bad_enrolments_are_typed_errors_and_write_nothing(
    gql, unicrm_state, change, code, field
):
    await setup_program(unicrm_state)
    data = {
        "programCode": "club",
        "phone": "0812345678",
        "firstName": "Anan",
        "marketingConsent": True,
        "consentPolicyVersion": "2026-01",
        **change,
    }

    body = await gql(ENROLL, {"input": data})

    assert body["data"]["loyaltyEnroll"]["errors"][0]["code"] == code
    assert body["data"]["loyaltyEnroll"]["errors"][0]["field"] == field
    members = await gql('{ loyaltyMembers(programCode: "club") { totalCount } }')
    assert members["data"]["loyaltyMembers"]["totalCount"] == 0


async def test_a_phone_or_a_customer_joins_a_programme_once(gql, unicrm_state):
    await setup_program(unicrm_state)
    member = await enroll(gql)

    again = await gql(
        ENROLL,
        {"input": {"programCode": "club", "phone": "+66812345678", "marketingConsent": False}},
    )

    assert again["data"]["loyaltyEnroll"]["errors"][0]["code"] == "ALREADY_MEMBER"
    assert (await gql(BY, {"card": member["cardNumber"]}))["data"]["loyaltyMember"]["id"]


STATUS = """mutation($id: ID!, $s: LoyaltyMemberStatus!, $r: String!) {
  loyaltyMemberSetStatus(input: {memberId: $id, status: $s, reason: $r}) {
  member { status } errors { field code } } }"""


async def test_status_suspends_reactivates_and_closes_for_good(gql, unicrm_state):
    await setup_program(unicrm_state)
    member = await enroll(gql)

    steps = [("SUSPENDED", "lost card"), ("ACTIVE", "card found"), ("CLOSED", "left")]
    for status, reason in steps:
        body = await gql(STATUS, {"id": member["id"], "s": status, "r": reason})
        assert body["data"]["loyaltyMemberSetStatus"] == {
            "member": {"status": status},
            "errors": [],
        }

    reopen = await gql(STATUS, {"id": member["id"], "s": "ACTIVE", "r": "back"})
    assert reopen["data"]["loyaltyMemberSetStatus"]["errors"][0]["code"] == "INVALID_STATUS"
    no_reason = await gql(STATUS, {"id": member["id"], "s": "SUSPENDED", "r": " "})
    assert no_reason["data"]["loyaltyMemberSetStatus"]["errors"][0]["code"] == "REQUIRED"


STAFF_BY = "query($card: String) { loyaltyMember(cardNumber: $card) { id pointsBalance } }"
"""Card numbers, QR values and phones are personal data, closed to store staff by default."""


async def test_store_staff_see_the_members_of_their_stores_only(gql, unicrm_state):
    await setup_program(unicrm_state, store_codes=("BKK01", "CNX01"))
    ours = await enroll(gql, channel="POS", storeCode="BKK01")
    theirs = await enroll(gql, phone="0898765432", channel="POS", storeCode="CNX01")
    token = await sign_in_as(unicrm_state, "malee@unicrm.test", "store_staff")
    async with unicrm_state.db.transaction() as session:
        user = await session.scalar(select(User.id).where(User.email == "malee@unicrm.test"))
        store = await session.scalar(select(Store.id).where(Store.code == "BKK01"))
        session.add(StoreStaff(store_id=store, user_id=user))

    async with client_for(unicrm_state, token) as staff:
        listed = await staff.post(
            "/graphql",
            json={"query": '{ loyaltyMembers(programCode: "club") { totalCount nodes { id } } }'},
        )
        mine = await staff.post(
            "/graphql", json={"query": STAFF_BY, "variables": {"card": ours["cardNumber"]}}
        )
        other = await staff.post(
            "/graphql", json={"query": STAFF_BY, "variables": {"card": theirs["cardNumber"]}}
        )

    assert listed.json()["data"]["loyaltyMembers"] == {
        "totalCount": 1,
        "nodes": [{"id": ours["id"]}],
    }
    assert mine.json()["data"]["loyaltyMember"]["id"] == ours["id"]
    assert other.json()["data"]["loyaltyMember"] is None
