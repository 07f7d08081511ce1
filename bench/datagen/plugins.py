"""Each installed plugin's rows for a customer, in the benchmark issue's proportions:
about 3 deals, 2 cases and 1 loyalty member per customer, and a lead score for some."""

from __future__ import annotations

import random
import uuid

from bench.datagen.core import CURRENCY, World, make_id, moment, poisson
from bench.datagen.rows import Rows
from unicrm.core.db.types import MONEY_SCALE

TIERS = ("silver", "gold", "platinum")


def plugin_rows(
    rows: Rows, world: World, rng: random.Random, customer_id: uuid.UUID, n: int
) -> None:
    if rows.has("sfa_deal"):
        for k in range(poisson(rng, 3.0, 10)):
            rows.add(
                "sfa_deal",
                customer_id=customer_id,
                title=f"Deal {n}-{k}",
                stage=rng.choice(
                    [
                        "cold",
                        "warm",
                        "opportunity",
                        "qualify",
                        "negotiation",
                        "closed_won",
                        "closed_lost",
                    ]
                ),
                amount=rng.randrange(1_000, 5_000_000) * MONEY_SCALE,
                currency=CURRENCY,
                owner_id=rng.choice(world.owner_ids),
                created_at=moment(rng),
            )
    if rows.has("crm_case"):
        for k in range(poisson(rng, 2.0, 8)):
            rows.add(
                "crm_case",
                customer_id=customer_id,
                subject=f"Case {n}-{k}",
                status=rng.choice(["new", "open", "pending", "resolved", "closed"]),
                priority=rng.choice(["low", "normal", "high", "urgent"]),
                opened_at=moment(rng),
            )
    if rows.has("loyalty_member"):
        rows.add(
            "loyalty_member",
            customer_id=customer_id,
            card_number=f"M{n:010d}",
            tier=rng.choice(TIERS),
            points_balance=rng.randrange(0, 50_000),
            enrolled_at=moment(rng),
        )
    if rows.has("ma_lead_score") and rng.random() < 0.3:
        rows.add(
            "ma_lead_score", id=make_id(rng), customer_id=customer_id, value=rng.randrange(0, 100)
        )
