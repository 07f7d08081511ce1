"""Each core filter selects the customers a marketer expects, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from unicrm.core.db.types import utcnow
from unicrm.core.graph.attributes.models import AttributeType
from unicrm.core.graph.attributes.services import Definition, define_attribute, set_attributes
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, record_consent
from unicrm.core.graph.contacts.services import AddressData, add_address
from unicrm.core.graph.customers.models import LifecycleStage
from unicrm.core.graph.customers.services import CustomerData, update_customer
from unicrm.core.graph.leads.lifecycle import set_stage
from unicrm.core.graph.leads.models import LeadSource, LeadTemperature
from unicrm.core.graph.leads.services import LeadData, convert_lead, create_lead
from unicrm.core.graph.tags.services import TagRef, add_tag

from .helpers import company, cond, gid, matching, order, person, product


@pytest.fixture
async def shoppers(unicrm_state):
    """Three buyers: Anong (big spender, Bangkok, noodles at BKK01, long ago), Boon (two small
    orders of rice at CNX01, recent), Chai (nothing); plus the company Delta Co."""
    state = unicrm_state
    noodles = await product(state, "NOODLE", "Food/Noodles", "500")
    rice = await product(state, "RICE", "Food/Rice", "40")
    soap = await product(state, "SOAP", "Home", "30")
    anong, boon, chai = [await person(state, n) for n in ("Anong", "Boon", "Chai")]
    await company(state, "Delta Co")
    long_ago = utcnow() - timedelta(days=200)
    await order(state, anong, noodles, 3, store="BKK01", placed_at=long_ago)
    await order(state, boon, rice, 1, store="CNX01")
    await order(state, boon, rice, 2, store="CNX01")
    return {"anong": anong, "boon": boon, "chai": chai, "soap": soap, "noodles": noodles}


async def test_customer_kind_and_name(gql, shoppers):
    assert await matching(gql, cond("customer.kind", "EQ", "COMPANY".lower())) == ["Delta Co"]
    assert await matching(gql, cond("customer.kind", "IN", ["person"])) == [
        "Anong",
        "Boon",
        "Chai",
    ]
    assert await matching(gql, cond("customer.display_name", "STARTS_WITH", "bo")) == ["Boon"]
    assert await matching(gql, cond("customer.display_name", "CONTAINS", "TA C")) == ["Delta Co"]


async def test_total_spend_counts_placed_orders_and_zero_without_any(gql, shoppers):
    assert await matching(gql, cond("orders.total_spend", "GTE", "1500.00")) == ["Anong"]
    assert await matching(gql, cond("orders.total_spend", "BETWEEN", [100, 200])) == ["Boon"]
    assert await matching(gql, cond("orders.total_spend", "EQ", 0)) == ["Chai", "Delta Co"]


async def test_order_count_and_last_order_date(gql, shoppers):
    assert await matching(gql, cond("orders.count", "GTE", 2)) == ["Boon"]
    assert await matching(gql, cond("orders.count", "EQ", 0)) == ["Chai", "Delta Co"]
    assert await matching(gql, cond("orders.last_order_at", "IN_LAST_DAYS", 30)) == ["Boon"]
    assert await matching(gql, cond("orders.last_order_at", "NOT_IN_LAST_DAYS", 90)) == ["Anong"]
    assert await matching(gql, cond("orders.last_order_at", "IS_NOT_SET")) == ["Chai", "Delta Co"]
    since = (utcnow() - timedelta(days=1)).isoformat()
    assert await matching(gql, cond("orders.last_order_at", "GT", since)) == ["Boon"]


async def test_bought_product_by_sku_or_id_category_and_store(gql, shoppers):
    noodles = gid(shoppers["noodles"], "Product")
    assert await matching(gql, cond("orders.product", "HAS_ANY", ["RICE", noodles])) == [
        "Anong",
        "Boon",
    ]
    assert await matching(gql, cond("orders.product", "HAS_ALL", ["RICE", noodles])) == []
    assert await matching(gql, cond("orders.product", "HAS_NONE", ["RICE"])) == [
        "Anong",
        "Chai",
        "Delta Co",
    ]
    assert await matching(gql, cond("orders.category", "HAS_ANY", [" Food "])) == [
        "Anong",
        "Boon",
    ]
    assert await matching(gql, cond("orders.category", "HAS_ANY", ["Food/Rice"])) == ["Boon"]
    assert await matching(gql, cond("orders.category", "HAS_ANY", ["Home"])) == []
    assert await matching(gql, cond("orders.store", "HAS_ANY", ["CNX01"])) == ["Boon"]


async def test_tags_any_all_none_ignore_case(unicrm_state, gql, shoppers):
    async with unicrm_state.db.transaction() as session:
        await add_tag(session, shoppers["anong"], TagRef(name="VIP"))
        await add_tag(session, shoppers["anong"], TagRef(name="Noodle lover"))
        await add_tag(session, shoppers["boon"], TagRef(name="vip"))
    assert await matching(gql, cond("customer.tags", "HAS_ANY", ["vip"])) == ["Anong", "Boon"]
    assert await matching(gql, cond("customer.tags", "HAS_ALL", ["VIP", "noodle LOVER"])) == [
        "Anong"
    ]
    assert await matching(gql, cond("customer.tags", "HAS_NONE", ["VIP"])) == ["Chai", "Delta Co"]


async def test_consent_granted_for_purpose_and_channel(unicrm_state, gql, shoppers):
    def change(channel: ConsentChannel, status: ConsentStatus) -> ConsentChange:
        return ConsentChange(
            ConsentPurpose.MARKETING, channel, status, ConsentSource.WEB_FORM, "2026-01"
        )

    async with unicrm_state.db.transaction() as session:
        await record_consent(
            session, shoppers["anong"], change(ConsentChannel.EMAIL, ConsentStatus.GRANTED)
        )
        await record_consent(
            session, shoppers["boon"], change(ConsentChannel.SMS, ConsentStatus.GRANTED)
        )
        await record_consent(
            session, shoppers["chai"], change(ConsentChannel.EMAIL, ConsentStatus.WITHDRAWN)
        )
    assert await matching(gql, cond("consent.granted", "EQ", "marketing:email")) == ["Anong"]
    assert await matching(
        gql, cond("consent.granted", "HAS_ANY", ["marketing:email", "marketing:sms"])
    ) == ["Anong", "Boon"]
    assert await matching(gql, cond("consent.granted", "HAS_NONE", ["marketing:email"])) == [
        "Boon",
        "Chai",
        "Delta Co",
    ]


async def test_province_in_any_spelling_and_region(unicrm_state, gql, shoppers):
    async with unicrm_state.db.transaction() as session:
        await add_address(
            session,
            shoppers["anong"],
            AddressData(line1="1 Silom", province="กรุงเทพมหานคร", postal_code="10500"),
        )
        await add_address(
            session,
            shoppers["boon"],
            AddressData(line1="2 Nimman", province="chiang  mai", postal_code="50200"),
        )
    assert await matching(gql, cond("address.province", "EQ", "Bangkok")) == ["Anong"]
    assert await matching(gql, cond("address.province", "EQ", "TH-50")) == ["Boon"]
    assert await matching(gql, cond("address.province", "IN", ["เชียงใหม่", "10"])) == [
        "Anong",
        "Boon",
    ]
    assert await matching(gql, cond("address.province", "NOT_IN", ["Bangkok"])) == [
        "Boon",
        "Chai",
        "Delta Co",
    ]
    assert await matching(gql, cond("address.region", "EQ", "north")) == ["Boon"]


async def test_created_at_owner_and_department(unicrm_state, gql, shoppers):
    department = unicrm_state.departments
    info = await department.get(None)
    async with unicrm_state.db.transaction() as session:
        await update_customer(session, shoppers["chai"], CustomerData(department_id=info.id))
    assert await matching(gql, cond("customer.department", "EQ", gid(info.id, "Department"))) == [
        "Chai"
    ]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await matching(gql, cond("customer.created_at", "GT", future)) == []
    assert len(await matching(gql, cond("customer.created_at", "IN_LAST_DAYS", 1))) == 4


async def test_custom_attributes_are_typed_by_their_definition(unicrm_state, gql, shoppers):
    async with unicrm_state.db.transaction() as session:
        await define_attribute(session, Definition("shoe_size", "Shoe size", AttributeType.NUMBER))
        await define_attribute(
            session, Definition("tier", "Tier", AttributeType.CHOICE, ("gold", "silver"))
        )
        await define_attribute(session, Definition("joined", "Joined", AttributeType.DATE))
        await define_attribute(session, Definition("vegan", "Vegan", AttributeType.BOOLEAN))
        await set_attributes(
            session,
            shoppers["anong"],
            [("shoe_size", 38), ("tier", "gold"), ("joined", "2024-02-01"), ("vegan", True)],
        )
        await set_attributes(
            session,
            shoppers["boon"],
            [("shoe_size", 42.5), ("tier", "silver"), ("joined", "2025-06-30"), ("vegan", False)],
        )
    assert await matching(gql, cond("attribute.shoe_size", "GT", 40)) == ["Boon"]
    assert await matching(gql, cond("attribute.tier", "IN", ["gold"])) == ["Anong"]
    assert await matching(gql, cond("attribute.joined", "LT", "2025-01-01")) == ["Anong"]
    assert await matching(gql, cond("attribute.vegan", "EQ", True)) == ["Anong"]
    assert await matching(gql, cond("attribute.tier", "IS_NOT_SET")) == ["Chai", "Delta Co"]


async def test_and_or_not_groups_combine(gql, shoppers):
    tree = {
        "or": [
            {
                "and": [
                    cond("orders.count", "GTE", 1),
                    {"not": cond("orders.store", "HAS_ANY", ["BKK01"])},
                ]
            },
            cond("customer.kind", "EQ", "company"),
        ]
    }
    assert await matching(gql, tree) == ["Boon", "Delta Co"]


async def test_not_of_an_unknown_value_still_selects_the_customer(gql, shoppers):
    """NOT(last order in the last 30 days) includes customers who never ordered (NULL)."""
    tree = {"not": cond("orders.last_order_at", "IN_LAST_DAYS", 30)}
    assert await matching(gql, tree) == ["Anong", "Chai", "Delta Co"]


async def test_plugin_filter_from_segment_filters_hook(gql, unicrm_state):
    """The example plugin's ``example.greeted`` greets customers made through the API."""
    await gql(
        'mutation { customerCreate(input: {kind: PERSON, firstName: "Greeted"}) { errors { code } } }'
    )
    await person(unicrm_state, "Silent")  # created directly: no event handled, no greeting
    assert await matching(gql, cond("example.greeted", "EQ", True)) == ["Greeted"]
    assert await matching(gql, cond("example.greeted", "EQ", False)) == ["Silent"]


async def test_lifecycle_stage_and_the_open_lead_s_temperature_and_source(
    unicrm_state, gql, shoppers
):
    async with unicrm_state.db.transaction() as session:
        hot = await create_lead(
            session,
            LeadData(shoppers["anong"], LeadSource.WEB_FORM, LeadTemperature.HOT),
        )
        await create_lead(session, LeadData(shoppers["boon"], LeadSource.EVENT))
        await set_stage(session, shoppers["chai"], LifecycleStage.CHURNED, "moved abroad")
    async with unicrm_state.db.transaction() as session:
        await convert_lead(session, hot.id)  # Anong: an opportunity without an open lead

    assert await matching(gql, cond("customer.lifecycle_stage", "EQ", "opportunity")) == ["Anong"]
    assert await matching(gql, cond("customer.lifecycle_stage", "IN", ["lead", "churned"])) == [
        "Boon",
        "Chai",
    ]
    assert await matching(gql, cond("lead.temperature", "EQ", "cold")) == ["Boon"]
    assert await matching(gql, cond("lead.temperature", "IN", ["hot", "warm"])) == []
    assert await matching(gql, cond("lead.temperature", "IS_NOT_SET", None)) == [
        "Anong",
        "Chai",
        "Delta Co",
    ]
    assert await matching(gql, cond("lead.source", "EQ", "event")) == ["Boon"]
