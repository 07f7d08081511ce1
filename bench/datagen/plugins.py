"""Each installed plugin's rows for a customer, in the benchmark issue's proportions: about
3 deals and 5 sales activities, 2 cases, 1 loyalty member with about 10 ledger entries, and
a lead score for some customers."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

import asyncpg

from bench.datagen.core import CURRENCY, World, make_id, moment, poisson
from bench.datagen.rows import Rows
from unicrm.core.db.types import MONEY_SCALE

TIERS = (("silver", "Silver", 0), ("gold", "Gold", 1), ("platinum", "Platinum", 2))
CASE_STATUSES = ("new", "open", "pending_customer", "pending_internal", "resolved", "closed")
CASE_CHANNELS = ("phone", "email", "chat", "line", "web_form", "walk_in")
ACTIVITY_KINDS = ("call", "meeting", "visit", "email", "task")


@dataclass
class PluginWorld:
    """What the plugins' rows point at: the default sales pipeline's stages (seeded by SFA's
    migration) and the loyalty programme the generator creates."""

    pipeline_id: uuid.UUID | None = None
    stages: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    program_id: uuid.UUID | None = None


async def plugin_world(conn: asyncpg.Connection, rows: Rows, rng: random.Random) -> PluginWorld:
    out = PluginWorld()
    if rows.has("sfa_stage"):
        out.pipeline_id = await conn.fetchval("SELECT id FROM sfa_pipeline WHERE is_default")
        stages = await conn.fetch(
            "SELECT id, kind FROM sfa_stage WHERE pipeline_id = $1 ORDER BY position",
            out.pipeline_id,
        )
        out.stages = [(s["id"], s["kind"]) for s in stages]
    if rows.has("loyalty_program"):
        out.program_id = make_id(rng)
        rows.add(
            "loyalty_program",
            id=out.program_id,
            code="bench",
            name="Bench Club",
            currency=CURRENCY,
            expiry_months=24,
        )
        for code, name, rank in TIERS:
            rows.add("loyalty_tier", program_id=out.program_id, code=code, name=name, rank=rank)
    return out


def plugin_rows(
    rows: Rows,
    world: World,
    plugins: PluginWorld,
    rng: random.Random,
    customer_id: uuid.UUID,
    n: int,
) -> None:
    if plugins.stages:
        _deals(rows, world, plugins, rng, customer_id, n)
    if rows.has("crm_case"):
        for k in range(poisson(rng, 2.0, 8)):
            rows.add(
                "crm_case",
                customer_id=customer_id,
                subject=f"Case {n}-{k}",
                status=rng.choice(CASE_STATUSES),
                priority=rng.choice(["low", "normal", "high", "urgent"]),
                channel=rng.choice(CASE_CHANNELS),
                opened_at=moment(rng),
            )
    if plugins.program_id is not None:
        _member(rows, plugins, rng, customer_id, n)
    if rows.has("ma_lead_score") and rng.random() < 0.3:
        rows.add(
            "ma_lead_score", id=make_id(rng), customer_id=customer_id, value=rng.randrange(0, 100)
        )


def _deals(
    rows: Rows,
    world: World,
    plugins: PluginWorld,
    rng: random.Random,
    customer_id: uuid.UUID,
    n: int,
) -> None:
    deal_ids = []
    for k in range(poisson(rng, 3.0, 10)):
        stage_id, kind = rng.choice(plugins.stages)
        created, deal_id = moment(rng), make_id(rng)
        deal_ids.append(deal_id)
        rows.add(
            "sfa_deal",
            id=deal_id,
            customer_id=customer_id,
            title=f"Deal {n}-{k}",
            pipeline_id=plugins.pipeline_id,
            stage_id=stage_id,
            amount=rng.randrange(1_000, 5_000_000) * MONEY_SCALE,
            currency=CURRENCY,
            owner_id=rng.choice(world.owner_ids),
            version=1,
            lost_reason="price" if kind == "lost" else None,
            closed_at=created if kind != "open" else None,
            stage_entered_at=created,
            created_at=created,
            updated_at=created,
        )
    for k in range(poisson(rng, 5.0, 15)):
        rows.add(
            "sfa_activity",
            customer_id=customer_id,
            deal_id=rng.choice(deal_ids) if deal_ids and rng.random() < 0.6 else None,
            kind=rng.choice(ACTIVITY_KINDS),
            subject=f"Activity {n}-{k}",
            owner_id=rng.choice(world.owner_ids),
            created_by="bench",
            occurred_at=moment(rng),
        )


def _member(
    rows: Rows, plugins: PluginWorld, rng: random.Random, customer_id: uuid.UUID, n: int
) -> None:
    """A member whose balance is the sum of its earn postings, each a member entry, its
    programme counter-entry and a points lot, as the plugin's ledger writes them."""
    member_id, enrolled = make_id(rng), moment(rng)
    earns = [
        (moment(rng, after=enrolled), rng.randrange(10, 500)) for _ in range(poisson(rng, 10.0, 30))
    ]
    earns.sort()
    rows.add(
        "loyalty_member",
        id=member_id,
        program_id=plugins.program_id,
        customer_id=customer_id,
        card_number=f"M{n:010d}",
        qr_value=make_id(rng).hex,
        tier=rng.choice(TIERS)[0],
        points_balance=sum(p for _, p in earns),
        enrolled_at=enrolled,
    )
    balance = 0
    for at, points in earns:
        balance += points
        posting_id = make_id(rng)
        common = {
            "posting_id": posting_id,
            "program_id": plugins.program_id,
            "kind": "earn",
            "reason": "purchase",
            "source": "pos",
            "created_at": at,
        }
        rows.add(
            "loyalty_ledger_entry",
            **common,
            account="member",
            member_id=member_id,
            customer_id=customer_id,
            points=points,
            balance_after=balance,
        )
        rows.add("loyalty_ledger_entry", **common, account="program:earn", points=-points)
        rows.add(
            "loyalty_points_lot",
            member_id=member_id,
            posting_id=posting_id,
            points=points,
            remaining=points,
            earned_at=at,
        )
