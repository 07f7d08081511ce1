"""Loyalty POS ingestion throughput, the bulk endpoint's work without HTTP (never run by CI).

.venv/bin/python bench/loyalty_pos.py [--database-url URL] [--sales 5000] [--batch 200]
    [--members 500] [--single 2000] [--concurrency 16]

Sets up a programme with a base rate, three tiers, an earn rule and a mission, enrols
``--members`` members, then ingests ``--sales`` sales of three lines in transactions of
``--batch`` through ``pos.ingest_batch``, exactly as ``POST /loyalty/pos/transactions`` does,
then ``--single`` sales one per transaction (``pos.ingest_sale``, what ``loyaltyPosSale``
runs) from ``--concurrency`` concurrent tills. Then replays one batch (every sale a
duplicate) and checks that balances reconcile. SQLite in a temporary directory unless
``--database-url`` names a database (PostgreSQL:
``postgresql+asyncpg://postgres@127.0.0.1/unicrm_bench_loyalty``, created and migrated first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from unicrm.core.config import BUILTIN_PLUGINS, load_settings
from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.stores.services import StoreData, create_store
from unicrm.core.plugins.manager import load_installed
from unicrm.core.state import create_state
from unicrm.plugins.loyalty import jobs
from unicrm.plugins.loyalty.models import CouponKind, EnrollmentChannel, Member, MissionKind
from unicrm.plugins.loyalty.services import coupons, earn, members, missions, pos, tiers

LINES = (("KAPRAO", "food/rice"), ("PADTHAI", "food/noodles"), ("THAITEA", "drinks/tea"))


def migrate(database_url: str) -> None:
    env = {**os.environ, "UNICRM_DATABASE_URL": database_url}
    command = Path(sys.executable).parent / "unicrm"
    subprocess.run([str(command), "db", "upgrade"], env=env, check=True)


async def setup(state, count: int) -> list[str]:
    async with state.db.transaction() as session:
        await create_store(
            session,
            StoreData(code="B1", name="Bench", line1="1", province="Bangkok", postal_code="10110"),
            "Asia/Bangkok",
        )
        await members.create_program(session, members.ProgramData("club", "Club", "THB"))
        await earn.set_rate(session, "club", "THB", None, 1, Decimal(10))
        for code, rank, points in (("silver", 0, None), ("gold", 1, 1000), ("plat", 2, 5000)):
            await tiers.save_tier(
                session,
                tiers.TierData("club", code, code, rank, Decimal(1), points, None, 12, 0, None),
            )
        await earn.create_rule(
            session, earn.RuleData("club", "noodles x2", category="food/noodles", multiplier=2)
        )
        await coupons.create_offer(
            session, coupons.OfferData("club", "FREE", "Free", CouponKind.FREE_DELIVERY)
        )
        await missions.create_mission(
            session,
            missions.MissionData("club", "BUY10", "10 buys", MissionKind.PURCHASES, 10, "FREE"),
        )
        cards = []
        program = await members.program_by_code(session, "club", "program")
        for i in range(count):
            customer = await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"M{i}")
            )
            card = f"9{i:015d}"
            session.add(
                Member(
                    id=uuid7(),
                    program_id=program.id,
                    customer_id=customer.id,
                    card_number=card,
                    qr_value=f"q{i}",
                    tier="silver",
                    points_balance=0,
                    channel=EnrollmentChannel.IMPORT,
                )
            )
            cards.append(card)
    return cards


def sale(n: int, card: str, rng: random.Random) -> pos.SaleData:
    lines = [
        earn.Line(sku, 1, Decimal(rng.randint(40, 400)), category)
        for sku, category in rng.sample(LINES, k=3)
    ]
    return pos.SaleData("B1", f"S-{n}", "THB", lines, card_number=card)


async def ingest(state, sales: list[pos.SaleData]) -> int:
    async with state.db.transaction() as session:
        outcomes = await pos.ingest_batch(session, sales, state.settings.zone)
    return sum(not isinstance(o, DomainError) for o in outcomes)


async def tills(state, sales: list[pos.SaleData], concurrency: int) -> int:
    """Each sale in its own transaction, ``concurrency`` at a time."""
    queue = iter(sales)
    earned = 0

    async def till() -> None:
        nonlocal earned
        for data in queue:
            try:
                async with state.db.transaction() as session:
                    await pos.ingest_sale(session, data, state.settings.zone)
                earned += 1
            except DomainError:
                pass

    await asyncio.gather(*(till() for _ in range(concurrency)))
    return earned


async def bench(
    database_url: str, total: int, batch: int, count: int, singles: int, concurrency: int
) -> None:
    plugins = load_installed(BUILTIN_PLUGINS)
    state = create_state(
        load_settings(database_url=database_url, plugins=list(plugins)), plugins=plugins
    )
    cards = await setup(state, count)
    rng = random.Random(7)
    sales = [sale(n, rng.choice(cards), rng) for n in range(total + singles)]
    started = time.perf_counter()
    earned = 0
    for start in range(0, total, batch):
        earned += await ingest(state, sales[start : start + batch])
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    single_earned = await tills(state, sales[total:], concurrency)
    single_elapsed = time.perf_counter() - started
    replayed = await ingest(state, sales[:batch])
    async with state.db.transaction() as session:
        run = await jobs.reconcile(session)
        entries = await session.scalar(text("SELECT count(*) FROM loyalty_ledger_entry"))
    await state.db.dispose()
    print(f"{state.db.engine.dialect.name}: {total} sales, batches of {batch}, {count} members")
    print(f"bulk: {total / elapsed:,.0f} sales/s ({earned} earned)")
    if singles:
        rate = singles / single_elapsed
        print(f"single, {concurrency} tills: {rate:,.0f} sales/s ({single_earned} earned)")
    print(f"replayed batch: {replayed} earned again; ledger entries {entries}")
    print(f"reconciliation: {run.members_checked} members, {len(run.mismatches)} mismatches")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate(url)
        asyncio.run(bench(url, args.sales, args.batch, args.members, args.single, args.concurrency))


if __name__ == "__main__":
    main()
