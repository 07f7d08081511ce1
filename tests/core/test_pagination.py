"""Keyset pagination: opaque cursors, forward and backward pages, page-size and cursor checks."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from unicrm.core.errors import DomainError
from unicrm.core.graph.pagination import PageRequest, decode_cursor, encode_cursor, paginate
from unicrm.core.graph.products.models import Product

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { code } }
}
"""

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $order: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { displayName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

NAMES = ["Dao", "Anan", "Ekk", "Chai", "Boon"]


async def create_customers(gql, names=NAMES) -> None:
    for name in names:
        body = await gql(CREATE, {"input": {"kind": "PERSON", "firstName": name}})
        assert body["data"]["customerCreate"]["errors"] == []


async def page(gql, **variables) -> dict:
    body = await gql(PAGE, variables)
    assert "errors" not in body, body
    return body["data"]["customers"]


def names(connection: dict) -> list[str]:
    return [edge["node"]["displayName"] for edge in connection["edges"]]


def flags(connection: dict) -> tuple[bool, bool]:
    info = connection["pageInfo"]
    return info["hasPreviousPage"], info["hasNextPage"]


@pytest.mark.parametrize(
    "values",
    [
        [datetime(2024, 5, 1, 9, 30, 15, 123456, tzinfo=UTC), uuid.UUID(int=7)],
        [datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=7))), uuid.UUID(int=7)],
        [Decimal("1234.5678"), uuid.UUID(int=7)],
        [Decimal("-0.0001"), uuid.UUID(int=7)],
        ["สมชาย ใจดี", uuid.UUID(int=7)],
        ["", uuid.UUID(int=7)],
        [date(2000, 2, 29), 42, 1.5, True, None],
    ],
)
def test_cursor_round_trips_its_values(values):
    cursor = encode_cursor(values)
    assert decode_cursor(cursor, len(values), "after") == values
    assert not set(cursor) & set("+/=")


@pytest.mark.parametrize(
    "raw",
    [
        '[["t", "2024-05-01T09:30:00"]]',  # naive
        '[["d", "NaN"]]',
        '[["d", "twelve"]]',
        '[["u", "xyz"]]',
        '[["u", 5]]',
        '[["D", "2024-02-30"]]',
        '[["v", {"a": 1}]]',
        '[["q", "x"]]',
        '[["v"]]',
        '["v"]',
        "[1]",
        '{"v": 1}',
        "[[",
    ],
)
def test_malformed_cursor_is_a_domain_error_on_its_argument(raw):
    cursor = base64.urlsafe_b64encode(raw.encode()).decode()
    with pytest.raises(DomainError) as raised:
        decode_cursor(cursor, 1, "before")
    assert [(e.code, e.field) for e in raised.value.errors] == [("INVALID_CURSOR", "before")]


def test_cursor_of_another_arity_is_refused():
    with pytest.raises(DomainError):
        decode_cursor(encode_cursor(["Anan", uuid.uuid4()]), 3, "after")


@pytest.mark.parametrize(
    ("request_", "size"),
    [(PageRequest(), 20), (PageRequest(first=0), 0), (PageRequest(last=100), 100)],
)
def test_page_size_defaults_to_twenty_and_stays_within_the_maximum(request_, size):
    assert request_.size(100) == size


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (PageRequest(first=101), "first"),
        (PageRequest(last=-1), "last"),
        (PageRequest(first=1, last=1), "first"),
    ],
)
def test_page_size_out_of_range_or_both_directions_is_refused(request_, field):
    with pytest.raises(DomainError) as raised:
        request_.size(100)
    assert raised.value.errors[0].field == field


async def test_forward_pages_cover_every_row_once_with_flags(gql):
    await create_customers(gql)
    first = await page(gql, first=2)
    second = await page(gql, first=2, after=first["pageInfo"]["endCursor"])
    third = await page(gql, first=2, after=second["pageInfo"]["endCursor"])
    assert [names(first), names(second), names(third)] == [
        ["Anan", "Boon"],
        ["Chai", "Dao"],
        ["Ekk"],
    ]
    assert [flags(first), flags(second), flags(third)] == [
        (False, True),
        (True, True),
        (True, False),
    ]


async def test_backward_pages_with_last_and_before_return_the_rows_before_in_order(gql):
    await create_customers(gql)
    last = await page(gql, last=2)
    assert names(last) == ["Dao", "Ekk"]
    assert flags(last) == (True, False)
    assert last["pageInfo"]["startCursor"] == last["edges"][0]["cursor"]

    middle = await page(gql, last=2, before=last["pageInfo"]["startCursor"])
    assert names(middle) == ["Boon", "Chai"]
    assert flags(middle) == (True, True)

    start = await page(gql, last=2, before=middle["pageInfo"]["startCursor"])
    assert names(start) == ["Anan"]
    assert flags(start) == (False, True)


async def test_backward_pages_follow_a_descending_order(gql):
    await create_customers(gql)
    order = {"field": "NAME", "descending": True}
    last = await page(gql, last=2, order=order)
    assert names(last) == ["Boon", "Anan"]
    before = await page(gql, last=2, before=last["pageInfo"]["startCursor"], order=order)
    assert names(before) == ["Dao", "Chai"]


async def test_pages_by_creation_time_keep_creation_order_both_ways(gql):
    await create_customers(gql)
    order = {"field": "CREATED_AT"}
    seen, after = [], None
    for _ in NAMES:
        connection = await page(gql, first=2, after=after, order=order)
        seen += names(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == NAMES

    last = await page(gql, last=3, order=order)
    assert names(last) == NAMES[2:]
    before = await page(gql, last=3, before=last["pageInfo"]["startCursor"], order=order)
    assert names(before) == NAMES[:2]


async def test_first_zero_returns_no_edges(gql):
    await create_customers(gql)
    connection = await page(gql, first=0)
    assert connection["edges"] == []
    assert connection["pageInfo"]["startCursor"] is None


async def test_first_and_last_together_are_a_bad_request(gql):
    body = await gql(PAGE, {"first": 2, "last": 2})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert body["errors"][0]["message"] == "pass first or last, not both"


async def test_cursor_of_another_sort_order_is_a_bad_request(gql):
    await create_customers(gql)
    by_name = await page(gql, first=1)
    body = await gql(
        PAGE,
        {"first": 1, "after": by_name["pageInfo"]["endCursor"], "order": {"field": "CREATED_AT"}},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert body["errors"][0]["message"] == "after is not a valid cursor"


async def test_cursor_values_bind_through_the_column_type(unicrm_state):
    """Money is stored as integer ten-thousandths; a cursor's Decimal must be bound the same way."""
    prices = ["0.5000", "12.0000", "12.0000", "99.9900", "1500.2500"]
    async with unicrm_state.db.transaction() as session:
        for index, price in enumerate(prices):
            session.add(
                Product(sku=f"SKU-{index}", name=f"P{index}", price=Decimal(price), currency="THB")
            )

    seen: list[Decimal] = []
    after = None
    async with unicrm_state.db.session() as session:
        for _ in prices:  # bounded: a cursor bound the wrong way would page forever
            result = await paginate(
                session,
                select(Product),
                keys=[Product.price, Product.id],
                page=PageRequest(first=2, after=after),
                max_page_size=100,
                key_of=lambda row: (row.price, row.id),
            )
            seen += [row.price for row in result.rows]
            if not result.has_next_page:
                break
            after = result.cursors[-1]
    assert seen == [Decimal(p) for p in prices]
