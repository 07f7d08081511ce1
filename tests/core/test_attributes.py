from __future__ import annotations

import pytest
from sqlalchemy import func, select

from unicrm.core.db.ids import uuid7
from unicrm.core.graph.attributes.models import AttributeDefinition
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.timeline.models import TimelineEntry

DEFINE = """
mutation($input: AttributeDefineInput!) {
  attributeDefine(input: $input) {
    attributeDefinition { key label type choices } errors { field code message }
  }
}
"""

SET = """
mutation($input: CustomerAttributesSetInput!) {
  customerAttributesSet(input: $input) {
    customer { attributes { key label type value } } errors { field code message }
  }
}
"""

DEFINITIONS = [
    {"key": "shoe_size", "label": "Shoe size", "type": "NUMBER"},
    {"key": "nickname", "label": "Nickname", "type": "STRING"},
    {"key": "vegetarian", "label": "Vegetarian", "type": "BOOLEAN"},
    {"key": "member_since", "label": "Member since", "type": "DATE"},
    {"key": "spice", "label": "Spice level", "type": "CHOICE", "choices": ["mild", "hot"]},
]


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.fixture
async def customer(gql, unicrm_state) -> str:
    for definition in DEFINITIONS:
        payload = (await gql(DEFINE, {"input": definition}))["data"]["attributeDefine"]
        assert payload["errors"] == []
    async with unicrm_state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Nok")
        )
    return to_global_id("Customer", row.id)


async def stored(state) -> tuple[dict, int]:
    """The customer's stored attributes and the number of timeline entries."""
    async with state.db.session() as session:
        attributes = await session.scalar(select(Customer.attributes))
        entries = await session.scalar(select(func.count()).select_from(TimelineEntry))
    return attributes, entries


async def test_values_are_checked_stored_typed_and_listed_by_key(gql, unicrm_state, customer):
    values = [
        {"key": "shoe_size", "value": "42"},
        {"key": "nickname", "value": "Noknoi"},
        {"key": "vegetarian", "value": True},
        {"key": "member_since", "value": "2021-03-04"},
        {"key": "spice", "value": "hot"},
    ]
    payload = (await gql(SET, {"input": {"customerId": customer, "attributes": values}}))["data"]
    payload = payload["customerAttributesSet"]
    assert payload["errors"] == []
    assert payload["customer"]["attributes"] == [
        {"key": "member_since", "label": "Member since", "type": "DATE", "value": "2021-03-04"},
        {"key": "nickname", "label": "Nickname", "type": "STRING", "value": "Noknoi"},
        {"key": "shoe_size", "label": "Shoe size", "type": "NUMBER", "value": 42},
        {"key": "spice", "label": "Spice level", "type": "CHOICE", "value": "hot"},
        {"key": "vegetarian", "label": "Vegetarian", "type": "BOOLEAN", "value": True},
    ]
    assert await stored(unicrm_state) == (
        {
            "shoe_size": 42,
            "nickname": "Noknoi",
            "vegetarian": True,
            "member_since": "2021-03-04",
            "spice": "hot",
        },
        1,
    )


async def test_null_clears_a_value_and_an_unchanged_set_writes_nothing(gql, unicrm_state, customer):
    first = [{"key": "shoe_size", "value": 41.5}, {"key": "spice", "value": "mild"}]
    await gql(SET, {"input": {"customerId": customer, "attributes": first}})
    await gql(SET, {"input": {"customerId": customer, "attributes": first}})
    cleared = [{"key": "spice", "value": None}]
    payload = (await gql(SET, {"input": {"customerId": customer, "attributes": cleared}}))["data"]
    assert payload["customerAttributesSet"]["customer"]["attributes"] == [
        {"key": "shoe_size", "label": "Shoe size", "type": "NUMBER", "value": 41.5}
    ]
    assert await stored(unicrm_state) == ({"shoe_size": 41.5}, 2)


async def test_unknown_attribute_is_rejected_and_writes_nothing(gql, unicrm_state, customer):
    values = [{"key": "nickname", "value": "Nok"}, {"key": "shirt_size", "value": "L"}]
    payload = (await gql(SET, {"input": {"customerId": customer, "attributes": values}}))["data"]
    assert payload["customerAttributesSet"]["errors"] == [
        {
            "field": "attributes.1.key",
            "code": "UNKNOWN_ATTRIBUTE",
            "message": "no attribute 'shirt_size'",
        }
    ]
    assert await stored(unicrm_state) == ({}, 0)


async def test_values_of_the_wrong_type_are_rejected_and_write_nothing(gql, unicrm_state, customer):
    values = [
        {"key": "shoe_size", "value": "forty"},
        {"key": "shoe_size", "value": 1},
        {"key": "nickname", "value": 7},
        {"key": "vegetarian", "value": 1},
        {"key": "member_since", "value": "2021-13-01"},
        {"key": "spice", "value": "medium"},
    ]
    payload = (await gql(SET, {"input": {"customerId": customer, "attributes": values}}))["data"]
    assert codes(payload["customerAttributesSet"]) == [
        ("attributes.0.value", "INVALID_VALUE"),
        ("attributes.1.key", "INVALID"),
        ("attributes.2.value", "INVALID_VALUE"),
        ("attributes.3.value", "INVALID_VALUE"),
        ("attributes.4.value", "INVALID_VALUE"),
        ("attributes.5.value", "INVALID_VALUE"),
    ]
    assert (
        payload["customerAttributesSet"]["errors"][5]["message"] == "spice must be one of mild, hot"
    )
    for value in (True, {"n": 1}, [1], "NaN", "1e400"):
        one = [{"key": "shoe_size", "value": value}]
        payload = (await gql(SET, {"input": {"customerId": customer, "attributes": one}}))["data"]
        assert codes(payload["customerAttributesSet"]) == [("attributes.0.value", "INVALID_VALUE")]
    assert await stored(unicrm_state) == ({}, 0)


async def test_setting_attributes_of_unknown_customer_is_not_found(gql, customer):
    unknown = to_global_id("Customer", uuid7())
    values = [{"key": "nickname", "value": "Nok"}]
    payload = (await gql(SET, {"input": {"customerId": unknown, "attributes": values}}))["data"]
    assert codes(payload["customerAttributesSet"]) == [("customerId", "NOT_FOUND")]


async def test_bad_definitions_are_rejected_and_write_nothing(gql, unicrm_state):
    cases = [
        ({"key": "Shoe Size", "label": "x", "type": "STRING"}, [("key", "INVALID")]),
        (
            {"key": "spice", "label": " ", "type": "CHOICE"},
            [("label", "REQUIRED"), ("choices", "REQUIRED")],
        ),
        (
            {"key": "spice", "label": "x", "type": "CHOICE", "choices": ["a", "a"]},
            [("choices", "INVALID")],
        ),
        (
            {"key": "size", "label": "x", "type": "NUMBER", "choices": ["a"]},
            [("choices", "INVALID")],
        ),
    ]
    for definition, expected in cases:
        payload = (await gql(DEFINE, {"input": definition}))["data"]["attributeDefine"]
        assert codes(payload) == expected
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AttributeDefinition)) == 0


async def test_redefining_relabels_but_never_changes_the_type(gql, customer):
    relabel = {
        "key": "spice",
        "label": "Chilli",
        "type": "CHOICE",
        "choices": ["mild", "hot", "thai"],
    }
    payload = (await gql(DEFINE, {"input": relabel}))["data"]["attributeDefine"]
    assert payload["attributeDefinition"] == {
        "key": "spice",
        "label": "Chilli",
        "type": "CHOICE",
        "choices": ["mild", "hot", "thai"],
    }
    retype = {"key": "spice", "label": "Chilli", "type": "STRING"}
    payload = (await gql(DEFINE, {"input": retype}))["data"]["attributeDefine"]
    assert codes(payload) == [("type", "TYPE_CHANGE")]
    body = await gql("{ attributeDefinitions { key type } }")
    assert {"key": "spice", "type": "CHOICE"} in body["data"]["attributeDefinitions"]
    assert len(body["data"]["attributeDefinitions"]) == len(DEFINITIONS)
