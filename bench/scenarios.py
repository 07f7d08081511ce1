"""The benchmark scenarios: GraphQL operations and the variables each request draws.

Scenarios 1 and 2 are also answered by the asyncpg baseline (bench/baseline.py), which must
return byte-identical JSON; bench/run.py checks that before it measures. A scenario whose
root fields the running schema lacks (a plugin not installed yet) is reported as skipped.
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
        [("CustomerUpdate", CUSTOMER_UPDATE, _update)],
        ("customerUpdate",),
        notes=["deal stage move and POS ingest join the mix when SFA and loyalty provide them"],
    ),
    "segment": Scenario(
        "segment",
        "5. segment count",
        [("SegmentCount", SEGMENT_COUNT, _segment)],
        ("segmentPreview",),
        notes=["the pipeline board joins when SFA provides it"],
    ),
}
