"""A bad definition is a typed error naming its path, and nothing is saved."""

from __future__ import annotations

import pytest

from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

from .helpers import PREVIEW, cond, create, person, segment_count


def errors(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            {"and": [cond("customer.kind", "EQ", "person"), cond("customer.shoe", "EQ", 1)]},
            [("definition.and.1.field", "UNKNOWN_FIELD")],
        ),
        (
            {"and": [cond("customer.kind", "GT", "person")]},
            [("definition.and.0.op", "UNSUPPORTED_OPERATOR")],
        ),
        (
            {
                "and": [
                    cond("customer.kind", "EQ", "person"),
                    cond("orders.total_spend", "GT", "lots"),
                ]
            },
            [("definition.and.1.value", "INVALID_VALUE")],
        ),
        (
            {"or": [{"not": cond("orders.last_order_at", "GT", "2026-13-01T00:00:00+07:00")}]},
            [("definition.or.0.not.value", "INVALID_VALUE")],
        ),
        (
            cond("orders.last_order_at", "GT", "2026-01-01T00:00:00"),
            [("definition.value", "INVALID_VALUE")],
        ),
        (cond("orders.count", "EQ", 1.5), [("definition.value", "INVALID_VALUE")]),
        (cond("orders.count", "BETWEEN", [5, 1]), [("definition.value", "INVALID_VALUE")]),
        (cond("customer.tags", "HAS_ANY", "vip"), [("definition.value", "INVALID_VALUE")]),
        (cond("customer.kind", "IS_SET"), [("definition.op", "UNSUPPORTED_OPERATOR")]),
        (cond("address.province", "EQ", "Atlantis"), [("definition.value", "INVALID_VALUE")]),
        (cond("customer.owner", "EQ", "not-an-id"), [("definition.value", "INVALID_VALUE")]),
        (cond("attribute.missing", "EQ", "x"), [("definition.field", "UNKNOWN_FIELD")]),
        ({"and": []}, [("definition.and", "INVALID")]),
        (
            {"and": [cond("customer.kind", "EQ", "person")], "field": "customer.kind"},
            [("definition", "INVALID")],
        ),
        (
            {"and": [cond("orders.count", "EQ", "x"), cond("nope.x", "EQ", 1)]},
            [
                ("definition.and.0.value", "INVALID_VALUE"),
                ("definition.and.1.field", "UNKNOWN_FIELD"),
            ],
        ),
    ],
)
async def test_bad_definition_is_a_typed_error_at_its_path_and_saves_nothing(
    unicrm_state, gql, definition, expected
):
    payload = await create(gql, name="Bad", definition=definition)
    assert payload["segment"] is None
    assert errors(payload) == expected
    assert await segment_count(unicrm_state) == 0

    preview = (await gql(PREVIEW, {"definition": definition}))["data"]["segmentPreview"]
    assert errors(preview) == expected
    assert preview["count"] is None


async def test_the_message_says_what_was_expected(gql, unicrm_state):
    payload = await create(gql, name="Bad", definition=cond("orders.total_spend", "GT", "lots"))
    assert payload["errors"] == [
        {
            "field": "definition.value",
            "code": "INVALID_VALUE",
            "message": "orders.total_spend GT: expected an amount such as 1500.00",
        }
    ]


async def test_segment_fields_lists_types_and_operators_for_editors(gql, unicrm_state):
    await gql(
        """mutation { attributeDefine(input: {key: "tier", label: "Tier", type: CHOICE,
           choices: ["gold", "silver"]}) { errors { code } } }"""
    )
    body = await gql("{ segmentFields { name valueType operators choices idType } }")
    fields = {f["name"]: f for f in body["data"]["segmentFields"]}
    assert fields["orders.total_spend"]["valueType"] == "MONEY"
    assert "BETWEEN" in fields["orders.total_spend"]["operators"]
    assert fields["customer.owner"]["idType"] == "User"
    assert fields["attribute.tier"]["choices"] == ["gold", "silver"]
    assert fields["attribute.tier"]["valueType"] == "CHOICE"
    assert "example.greeted" in fields
    assert "consent.granted" in fields and "marketing:email" in fields["consent.granted"]["choices"]


async def test_a_caller_cannot_filter_on_data_it_may_not_read(unicrm_state):
    """A marketer may not read the example plugin's greetings, so may not filter on them
    (a count would reveal them): NOT_ALLOWED at the path, and segmentFields leaves it out."""
    await person(unicrm_state, "Anong")
    token = await sign_in_as(unicrm_state, "marketer@unicrm.test", "marketer")
    definition = {"and": [cond("orders.count", "GTE", 0), cond("example.greeted", "EQ", True)]}
    async with client_for(unicrm_state, token) as http:
        body = (
            await http.post(
                "/graphql", json={"query": PREVIEW, "variables": {"definition": definition}}
            )
        ).json()
        fields = (await http.post("/graphql", json={"query": "{ segmentFields { name } }"})).json()
    assert errors(body["data"]["segmentPreview"]) == [("definition.and.1.field", "NOT_ALLOWED")]
    names = {f["name"] for f in fields["data"]["segmentFields"]}
    assert "orders.count" in names and "example.greeted" not in names
