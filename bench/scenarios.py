"""The benchmark scenarios: GraphQL operations and the variables each request draws.

Scenarios 1 and 2 are also answered by the asyncpg baseline (bench/baseline.py), which must
return byte-identical JSON; bench/run.py checks that before it measures. A scenario whose

"""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from unicrm.core.demo import FIRST_NAMES, LAST_NAMES


@dataclass
class Sample:
    """What requests draw from: rows of the benchmark database, read once."""

    customers: list[uuid.UUID]
    persons: list[uuid.UUID]
    names: list[tuple[str, uuid.UUID]]
    phones: list[str]
    deals: list[uuid.UUID]
    stages: list[uuid.UUID]
    cards: list[str]
    products: list[tuple[str, int]]
    """(sku, unit price in ten-thousandths)"""
    stores: list[str]


def global_id(type_name: str, pk: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk.hex}".encode()).decode().rstrip("=")


def cursor(name: str, pk: uuid.UUID) -> str:
    raw = orjson.dumps([["v", name], ["u", pk.hex]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class Scenario:
    key: str
    title: str
    operations: list[tuple[str, str, Callable[[Sample, random.Random], dict[str, Any]]]]
    """(operation name, document, variables) mixed evenly."""
    root_fields: tuple[str, ...] = ()
    baseline: bool = False
    notes: list[str] = field(default_factory=list)


CUSTOMER_360 = """
query Customer360($id: ID!) {
  customer(id: $id) {
    id kind displayName firstName lastName birthDate createdAt
    emails { address isPrimary }
    phones { number isPrimary }
    identities { source externalId }
    consents { purpose channel status updatedAt }
    tags { name }
    latestOrders(limit: 10) {
      id placedAt storeCode total { amount currency }
      lines { sku name quantity lineTotal { amount currency } }
    }
    deals { id title stage { name } amount { amount currency } }
    cases { id subject status priority openedAt }
    salesActivities(limit: 10) { id kind subject occurredAt }
    loyaltyMember {
      id cardNumber tier pointsBalance
      ledger(first: 10) { kind points balanceAfter createdAt }
    }
  }
}
"""

CUSTOMER_LIST = """
query CustomerList($after: String) {
  customers(first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node { id displayName loyaltyMember { tier } deals { id title stage { name } } }
    }
  }
}
"""

SEARCH = """
query CustomerSearch($query: String!) {
  customerSearch(query: $query, first: 20) {
    edges { node { id displayName phone email } }
  }
}
"""

CUSTOMER_UPDATE = """
mutation CustomerUpdate($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) {
    errors { code message }
    customer { id firstName updatedAt }
  }
}
"""

DEAL_MOVE = """
mutation DealMoveStage($input: DealMoveStageInput!) {
  dealMoveStage(input: $input) { errors { code } deal { id version stage { name } } }
}
"""

POS_SALE = """
mutation PosSale($input: LoyaltyPosSaleInput!) {
  loyaltyPosSale(input: $input) {
    errors { code }
    transaction { id }
    member { pointsBalance }
  }
}
"""

PIPELINE_BOARD = """
query PipelineBoard {
  dealBoard(first: 10) {
    columns {
      stage { name }
      count
      totals { amount currency }
      weightedTotals { amount currency }
      deals { edges { node { id title amount { amount currency } } } }
    }
  }
}
"""

SEGMENT_COUNT = """
query SegmentCount($definition: SegmentFilterInput!) {
  segmentPreview(definition: $definition, sample: 0) { errors { message } count }
}
"""


def _customer(sample: Sample, rng: random.Random) -> dict[str, Any]:
    return {"id": global_id("Customer", rng.choice(sample.customers))}


def _page(sample: Sample, rng: random.Random) -> dict[str, Any]:
    return {"after": cursor(*rng.choice(sample.names))}


def _search(sample: Sample, rng: random.Random) -> dict[str, Any]:
    pick = rng.randrange(3)
    if pick == 0:
        return {"query": rng.choice(LAST_NAMES)[0]}  # Thai
    if pick == 1:
        return {"query": rng.choice(FIRST_NAMES)[1][:5]}  # Latin
    return {"query": "0" + rng.choice(sample.phones)[3:9]}  # national digits


def _update(sample: Sample, rng: random.Random) -> dict[str, Any]:
    person = rng.choice(sample.persons)
    first = rng.choice(FIRST_NAMES)[rng.randrange(2)]
    return {"input": {"id": global_id("Customer", person), "firstName": first}}


def _move(sample: Sample, rng: random.Random) -> dict[str, Any]:
    """A deal to another stage. The expected version is the generated one, so a deal drawn a
    second time answers CONFLICT: a typed payload outcome, as for a rep with a stale board."""
    stage = rng.choice(sample.stages)
    move = {"id": global_id("Deal", rng.choice(sample.deals)), "expectedVersion": 1}
    return {"input": {**move, "stageId": global_id("PipelineStage", stage), "lostReason": "price"}}


def _sale(sample: Sample, rng: random.Random) -> dict[str, Any]:
    """A till sale to a member; ``__N__`` becomes a number unique to the request (wrk.lua)."""
    lines = []
    for sku, price in rng.sample(sample.products, rng.randint(1, 4)):
        quantity = rng.randint(1, 3)
        lines.append({"sku": sku, "quantity": quantity, "amount": str(price * quantity / 10_000)})
    sale = {"storeCode": rng.choice(sample.stores), "transactionId": "bench-__N__"}
    return {
        "input": {**sale, "currency": "THB", "cardNumber": rng.choice(sample.cards), "lines": lines}
    }


def _no_variables(sample: Sample, rng: random.Random) -> dict[str, Any]:
    return {}


def _segment(sample: Sample, rng: random.Random) -> dict[str, Any]:
    return {
        "definition": {
            "and": [
                {
                    "field": "orders.total_spend",
                    "op": "GTE",
                    "value": str(rng.randrange(1, 20) * 500),
                },
                {"field": "customer.kind", "op": "EQ", "value": "person"},
                {
                    "field": "orders.last_order_at",
                    "op": "IN_LAST_DAYS",
                    "value": rng.randrange(30, 720),
                },
            ]
        }
    }


SCENARIOS = {
    "360": Scenario(
        "360",
        "1. customer-360",
        [("Customer360", CUSTOMER_360, _customer)],
        ("customer",),
        baseline=True,
    ),
    "list": Scenario(
        "list",
        "2. customer list, 50 after a cursor",
        [("CustomerList", CUSTOMER_LIST, _page)],
        ("customers",),
        baseline=True,
    ),
    "search": Scenario(
        "search",
        "3. search: Thai name, Latin name, phone",
        [("CustomerSearch", SEARCH, _search)],
        ("customerSearch",),
    ),
    "mutations": Scenario(
        "mutations",
        "4. mutation mix",
        [
            ("CustomerUpdate", CUSTOMER_UPDATE, _update),
            ("DealMoveStage", DEAL_MOVE, _move),
            ("PosSale", POS_SALE, _sale),
        ],
        ("customerUpdate", "dealMoveStage", "loyaltyPosSale"),
    ),
    "segment": Scenario(
        "segment",
        "5. segment count and pipeline board",
        [
            ("SegmentCount", SEGMENT_COUNT, _segment),
            ("PipelineBoard", PIPELINE_BOARD, _no_variables),
        ],
        ("segmentPreview", "dealBoard"),
    ),
}
