"""The core customer graph of the benchmark: customers with their contact points,
identities, consents, tags, company links and orders with lines.

Proportions per customer (the benchmark issue's): about 1.5 company links, 4 orders of 1 to 5
lines, 2 consents, 1 or 2 tags; names are Thai or Latin, half each, from the demo's name lists.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.datagen.rows import Rows
from unicrm.core.db.types import MONEY_SCALE
from unicrm.core.demo import (
    CATALOGUE,
    COMPANY_PLACES,
    COMPANY_TRADES,
    FIRST_NAMES,
    LAST_NAMES,
    PROVINCES,
    ROLES,
    STORES,
)
from unicrm.core.graph.search.documents import document_of

NOW = datetime(2026, 11, 1, tzinfo=UTC)
HISTORY_DAYS = 3 * 365
COMPANY_SHARE = 0.15
TAG_NAMES = [
    f"{t}-{n}" for t in ("vip", "newsletter", "b2b", "event", "promo", "svc") for n in range(5)
]
PRODUCTS = 400
CURRENCY = "THB"


def make_id(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def moment(rng: random.Random, *, after: datetime | None = None) -> datetime:
    start = after or NOW - timedelta(days=HISTORY_DAYS)
    span = max(int((NOW - start).total_seconds()), 1)
    return start + timedelta(seconds=rng.randrange(span))


def poisson(rng: random.Random, mean: float, cap: int) -> int:
    """A small Poisson-like count (Knuth), capped, for rows per customer."""
    limit, k, p = pow(2.718281828, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit or k >= cap:
            return k
        k += 1


@dataclass
class Product:
    id: uuid.UUID
    sku: str
    name: str
    price: int  # in 1/MONEY_SCALE of the currency, as UniCRM stores money


@dataclass
class World:
    """Reference rows every customer points at, made once before the customers."""

    department_id: uuid.UUID
    owner_ids: list[uuid.UUID]
    products: list[Product] = field(default_factory=list)
    tag_ids: list[uuid.UUID] = field(default_factory=list)
    company_ids: list[uuid.UUID] = field(default_factory=list)


def reference_rows(rows: Rows, world: World, rng: random.Random) -> None:
    for n in range(PRODUCTS):
        sku, name, category, price = CATALOGUE[n % len(CATALOGUE)]
        product = Product(
            make_id(rng), f"{sku}-{n:04d}", name, (int(price) + n % 7 * 5) * MONEY_SCALE
        )
        world.products.append(product)
        rows.add(
            "product",
            id=product.id,
            sku=product.sku,
            name=product.name,
            category=category,
            price=product.price,
            currency=CURRENCY,
        )
    for name in TAG_NAMES:
        tag_id = make_id(rng)
        world.tag_ids.append(tag_id)
        rows.add("tag", id=tag_id, name=name, name_key=name.casefold())


def _name(rng: random.Random) -> tuple[str, str, str, str]:
    """(first, last, latin first, latin last) in Thai or Latin script."""
    (first_th, first_en), (last_th, last_en) = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if rng.random() < 0.5:
        return first_th, last_th, first_en, last_en
    return first_en, last_en, first_en, last_en


def customer_rows(rows: Rows, world: World, rng: random.Random, n: int) -> uuid.UUID:
    """The ``n``-th customer and every core row that belongs to it; returns its id."""
    customer_id = make_id(rng)
    created = moment(rng)
    is_company = rng.random() < COMPANY_SHARE
    parts: list[tuple[str, str]] = []
    if is_company:
        place, trade = rng.choice(COMPANY_PLACES), rng.choice(COMPANY_TRADES)
        name = (
            f"{place[0]} {trade[0]}" if rng.random() < 0.5 else f"{place[1]} {trade[1]} Co., Ltd."
        )
        latin = f"{place[1]}{trade[1]}".replace(" ", "").lower()
        row: dict[str, Any] = {
            "kind": "company",
            "display_name": f"{name} {n}",
            "company_name": f"{name} {n}",
            "tax_id": f"{rng.randrange(10**12, 10**13)}",
            "industry": trade[2],
        }
    else:
        first, last, first_en, last_en = _name(rng)
        latin = f"{first_en}.{last_en}".lower()
        row = {
            "kind": "person",
            "display_name": f"{first} {last}",
            "first_name": first,
            "last_name": last,
            "birth_date": date(1960, 1, 1) + timedelta(days=rng.randrange(45 * 365)),
        }
    orders = poisson(rng, 4.0, 12)
    rows.add(
        "customer",
        id=customer_id,
        **row,
        owner_id=rng.choice(world.owner_ids) if rng.random() < 0.3 else None,
        department_id=world.department_id,
        lifecycle_stage="customer" if orders else rng.choice(["subscriber", "lead"]),
        created_at=created,
        updated_at=created,
    )
    parts.append(("name", row["display_name"]))

    if rng.random() < 0.92:
        address = f"{latin}{n}@example.co.th"
        rows.add(
            "customer_email",
            customer_id=customer_id,
            address=address,
            is_primary=True,
            label="work" if is_company else "home",
            created_at=created,
            updated_at=created,
        )
        parts.append(("email", address))
    if rng.random() < 0.95:
        number = f"+66{rng.choice('689')}{n:08d}"
        rows.add(
            "customer_phone",
            customer_id=customer_id,
            number=number,
            is_primary=True,
            created_at=created,
            updated_at=created,
        )
        parts.append(("phone", number))
    if rng.random() < 0.5:
        external = f"U{customer_id.hex}"
        rows.add(
            "customer_identity",
            customer_id=customer_id,
            source="line",
            external_id=external,
            created_at=created,
            updated_at=created,
        )
        parts.append(("identity", external))
    if rng.random() < 0.6:
        province, postal = rng.choice(PROVINCES)
        rows.add(
            "customer_address",
            customer_id=customer_id,
            line1=f"{n} ถนนสุขุมวิท",
            province=province,
            postal_code=postal,
            is_primary=True,
            created_at=created,
            updated_at=created,
        )
    for channel in ("email", "sms"):
        event_id, status = make_id(rng), "granted" if rng.random() < 0.7 else "withdrawn"
        rows.add(
            "consent_event",
            id=event_id,
            customer_id=customer_id,
            purpose="marketing",
            channel=channel,
            status=status,
            source="web_form",
            occurred_at=created,
            recorded_at=created,
            recorded_by="import",
        )
        rows.add(
            "consent_state",
            customer_id=customer_id,
            purpose="marketing",
            channel=channel,
            status=status,
            occurred_at=created,
            updated_at=created,
            event_id=event_id,
        )
    for tag_id in rng.sample(world.tag_ids, poisson(rng, 1.5, 5)):
        rows.add("customer_tag", customer_id=customer_id, tag_id=tag_id, tagged_at=created)
    if not is_company and world.company_ids:
        links = poisson(rng, 1.5, 4)
        for company_id in set(rng.choices(world.company_ids[-5000:], k=links)):
            rows.add(
                "company_contact",
                person_id=customer_id,
                company_id=company_id,
                role=rng.choice(ROLES)[1],
                is_primary=False,
                created_at=created,
            )
    for k in range(orders):
        _order(rows, world, rng, customer_id, f"B{n}-{k}", moment(rng, after=created))
    rows.add("customer_search", customer_id=customer_id, document=document_of(parts))
    if is_company:
        world.company_ids.append(customer_id)
    return customer_id


def _order(
    rows: Rows,
    world: World,
    rng: random.Random,
    customer_id: uuid.UUID,
    external_id: str,
    placed: datetime,
) -> None:
    order_id, total = make_id(rng), 0
    for position in range(rng.randint(1, 5)):
        product = rng.choice(world.products)
        quantity = rng.randint(1, 3)
        total += quantity * product.price
        rows.add(
            "order_line",
            order_id=order_id,
            position=position,
            product_id=product.id,
            sku=product.sku,
            name=product.name,
            quantity=quantity,
            unit_price=product.price,
            line_total=quantity * product.price,
        )
    rows.add(
        "customer_order",
        id=order_id,
        customer_id=customer_id,
        source="pos",
        external_id=external_id,
        store_code=rng.choice(STORES),
        placed_at=placed,
        currency=CURRENCY,
        total=total,
        created_at=placed,
        updated_at=placed,
    )
