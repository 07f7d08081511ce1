from __future__ import annotations

import pytest
from sqlalchemy import func, select

from unicrm.core.db.ids import uuid7
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.tags.models import CustomerTag, Tag
from unicrm.core.graph.timeline.models import TimelineEntry

TAG_CREATE = """
mutation($input: TagCreateInput!) {
  tagCreate(input: $input) { tag { id name color } errors { field code message } }
}
"""

ADD = """
mutation($input: CustomerTagInput!) {
  customerTagAdd(input: $input) {
    customer { displayName tags { name } } tag { name } errors { field code message }
  }
}
"""

REMOVE = """
mutation($input: CustomerTagInput!) {
  customerTagRemove(input: $input) {
    customer { tags { name } } tag { name } errors { field code message }
  }
}
"""


async def counts(state) -> tuple[int, int, int]:
    """(tags, customer tags, timeline entries)."""
    async with state.db.session() as session:
        return tuple(
            [
                await session.scalar(select(func.count()).select_from(model))
                for model in (Tag, CustomerTag, TimelineEntry)
            ]
        )


@pytest.fixture
async def customer_id(unicrm_state) -> str:
    async with unicrm_state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Malee")
        )
    return to_global_id("Customer", row.id)


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_create_tag_with_colour(gql, unicrm_state):
    payload = (await gql(TAG_CREATE, {"input": {"name": " VIP  Gold ", "color": "#ffd700"}}))[
        "data"
    ]["tagCreate"]
    assert payload["errors"] == []
    assert payload["tag"]["name"] == "VIP Gold"
    assert payload["tag"]["color"] == "#FFD700"


async def test_tag_names_are_unique_regardless_of_case_and_duplicates_write_nothing(
    gql, unicrm_state
):
    await gql(TAG_CREATE, {"input": {"name": "VIP"}})
    payload = (await gql(TAG_CREATE, {"input": {"name": "vip"}}))["data"]["tagCreate"]
    assert payload["tag"] is None
    assert payload["errors"] == [
        {"field": "name", "code": "DUPLICATE", "message": "a tag named 'vip' exists"}
    ]
    assert await counts(unicrm_state) == (1, 0, 0)


async def test_bad_tag_name_or_colour_is_rejected_and_writes_nothing(gql, unicrm_state):
    payload = (await gql(TAG_CREATE, {"input": {"name": "  ", "color": "gold"}}))["data"]
    assert codes(payload["tagCreate"]) == [("name", "REQUIRED"), ("color", "INVALID")]
    payload = (await gql(TAG_CREATE, {"input": {"name": "x" * 101}}))["data"]
    assert codes(payload["tagCreate"]) == [("name", "TOO_LONG")]
    assert await counts(unicrm_state) == (0, 0, 0)


async def test_tagging_by_name_creates_the_tag_once_and_twice_changes_nothing(
    gql, unicrm_state, customer_id
):
    await gql(TAG_CREATE, {"input": {"name": "Wholesale"}})
    for name in ("VIP", "vip", "wholesale"):
        payload = (await gql(ADD, {"input": {"customerId": customer_id, "name": name}}))["data"]
        assert payload["customerTagAdd"]["errors"] == []
    assert payload["customerTagAdd"]["customer"]["tags"] == [{"name": "VIP"}, {"name": "Wholesale"}]
    assert await counts(unicrm_state) == (2, 2, 2)
    async with unicrm_state.db.session() as session:
        kinds = (
            await session.scalars(select(TimelineEntry.title).order_by(TimelineEntry.id))
        ).all()
    assert kinds == ["Tagged VIP", "Tagged Wholesale"]


async def test_tagging_an_unknown_customer_creates_no_tag(gql, unicrm_state):
    unknown = to_global_id("Customer", uuid7())
    payload = (await gql(ADD, {"input": {"customerId": unknown, "name": "VIP"}}))["data"]
    assert payload["customerTagAdd"]["errors"] == [
        {"field": "customerId", "code": "NOT_FOUND", "message": "no such customer"}
    ]
    assert await counts(unicrm_state) == (0, 0, 0)


async def test_tag_must_be_given_by_id_or_name_exactly(gql, unicrm_state, customer_id):
    created = (await gql(TAG_CREATE, {"input": {"name": "VIP"}}))["data"]["tagCreate"]["tag"]
    both = {"customerId": customer_id, "tagId": created["id"], "name": "VIP"}
    assert codes((await gql(ADD, {"input": both}))["data"]["customerTagAdd"]) == [
        ("tagId", "REQUIRED")
    ]
    neither = {"customerId": customer_id}
    assert codes((await gql(ADD, {"input": neither}))["data"]["customerTagAdd"]) == [
        ("tagId", "REQUIRED")
    ]
    unknown = {"customerId": customer_id, "tagId": to_global_id("Tag", uuid7())}
    assert codes((await gql(ADD, {"input": unknown}))["data"]["customerTagAdd"]) == [
        ("tagId", "NOT_FOUND")
    ]
    assert await counts(unicrm_state) == (1, 0, 0)
    by_id = {"customerId": customer_id, "tagId": created["id"]}
    payload = (await gql(ADD, {"input": by_id}))["data"]["customerTagAdd"]
    assert payload["tag"] == {"name": "VIP"}


async def test_removing_a_tag_takes_it_off_and_unknown_tag_is_not_found(
    gql, unicrm_state, customer_id
):
    await gql(ADD, {"input": {"customerId": customer_id, "name": "VIP"}})
    payload = (await gql(REMOVE, {"input": {"customerId": customer_id, "name": "Nope"}}))["data"]
    assert codes(payload["customerTagRemove"]) == [("name", "NOT_FOUND")]
    assert await counts(unicrm_state) == (1, 1, 1)
    for _ in range(2):
        payload = (await gql(REMOVE, {"input": {"customerId": customer_id, "name": "vip"}}))[
            "data"
        ]["customerTagRemove"]
        assert payload["errors"] == []
        assert payload["customer"]["tags"] == []
    assert await counts(unicrm_state) == (1, 0, 2)


async def test_root_tags_lists_by_name_and_searches(gql, unicrm_state):
    for name in ("Wholesale", "VIP", "vip-lapsed"):
        await gql(TAG_CREATE, {"input": {"name": name}})
    body = await gql('{ all: tags { name } some: tags(search: "VIP") { name } }')
    assert body["data"] == {
        "all": [{"name": "VIP"}, {"name": "vip-lapsed"}, {"name": "Wholesale"}],
        "some": [{"name": "VIP"}, {"name": "vip-lapsed"}],
    }
