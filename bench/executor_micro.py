"""CPU per request of the compiled executor against strawberry's execution, in-process
(never run by CI).

.venv/bin/python bench/executor_micro.py [--database-url URL] [--iterations 300]

Builds a database (SQLite in a temporary directory unless ``--database-url`` names one) with
the demo data, then runs two operations through the composed schema of the default
department, as UniCRM's system actor, alternating the two executors so that drift in the
machine's load hits them alike:

* a customer-360 page (contact points, identities, consents, tags, the 10 latest orders with
  their lines, deals, cases, loyalty member);
* a list of 50 customers with contact points, tags and parent.

The ``warm`` rows reuse one request context, so the nested loads are answered from its
DataLoaders' caches and what remains is mostly execution itself (the root fields still
query). Prints, per operation and executor, the process CPU ms and the wall ms per request (mean and
p50) and the SQL statements per request; the compiled rows must have run planned.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from unicrm.core.config import load_settings
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.state import create_state
from unicrm.core.testing.statements import StatementCounter
from unicrm.schema.composer import build_schema
from unicrm.schema.context import make_context

CUSTOMER_360 = """
query Customer360($id: ID!) {
  customer(id: $id) {
    id kind displayName firstName lastName birthDate taxId createdAt
    email phone
    emails { address isPrimary }
    phones { number isPrimary }
    addresses { line1 province postalCode }
    identities { source externalId }
    consents { purpose channel status updatedAt }
    tags { name }
    latestOrders(limit: 10) { id placedAt total { amount currency } lines { quantity } }
    deals { id }
    cases { id }
    loyaltyMember { id }
  }
}
"""
MODES = ("strawberry", "compiled", "strawberry warm", "compiled warm")
LIST = """
query CustomerList {
  customers(first: 50) {
    edges {
      cursor
      node {
        id displayName kind email phone
        emails { address } phones { number } tags { name } parent { id }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def unicrm(database_url: str, *args: str) -> None:
    env = {**os.environ, "UNICRM_DATABASE_URL": database_url}
    command = Path(sys.executable).parent / "unicrm"  # the console script of this venv
    subprocess.run([str(command), *args], env=env, check=True)


async def once(
    schema: Any, context: Any, query: str, variables: dict[str, Any]
) -> tuple[float, float, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = await schema.execute(query, variable_values=variables, context_value=context)
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000, result


async def bench(database_url: str, iterations: int) -> None:
    state = create_state(load_settings(database_url=database_url), schema_factory=build_schema)
    async with state.db.session() as session:
        row = await session.scalar(select(Customer).order_by(Customer.created_at).limit(1))
    department = await state.departments.get(None)
    schema = state.schema_for(frozenset(department.plugins))
    compiled = schema.executor
    cases = {
        "customer-360": (CUSTOMER_360, {"id": to_global_id("Customer", row.id)}),
        "50-customer list": (LIST, {}),
    }
    timings: dict[tuple[str, str], list[tuple[float, float]]] = {}
    statements: dict[tuple[str, str], int] = {}
    warm = {mode: make_context(state, department, Actor.system()) for mode in MODES}
    for i in range(iterations + 30):
        for case, (query, variables) in cases.items():
            for mode in MODES:
                schema.executor = compiled if mode.startswith("compiled") else None
                context = (
                    warm[mode]
                    if mode.endswith("warm")
                    else make_context(state, department, Actor.system())
                )
                with StatementCounter(state) as counter:
                    cpu, wall, result = await once(schema, context, query, variables)
                if result.errors:
                    raise SystemExit(f"{case} failed: {result.errors}")
                if i >= 30:
                    timings.setdefault((case, mode), []).append((cpu, wall))
                    statements[(case, mode)] = counter.count
    schema.executor = compiled
    await state.db.dispose()
    print(f"{'operation':<18} {'executor':<16} {'CPU ms':>8} {'p50':>7} {'wall ms':>8} SQL")
    for (case, mode), found in timings.items():
        cpu = [c for c, _ in found]
        wall = [w for _, w in found]
        print(
            f"{case:<18} {mode:<16} {statistics.mean(cpu):8.2f} {statistics.median(cpu):7.2f}"
            f" {statistics.mean(wall):8.2f} {statements[(case, mode)]:3d}"
        )
    for case in cases:
        for suffix in ("", " warm"):
            before = statistics.median(c for c, _ in timings[(case, "strawberry" + suffix)])
            after = statistics.median(c for c, _ in timings[(case, "compiled" + suffix)])
            print(f"{case}{suffix}: compiled uses {after / before:.2f}x strawberry's CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        if not args.database_url:
            unicrm(url, "db", "upgrade")
            unicrm(url, "demo", "--size", "60", "--seed", "7")
        asyncio.run(bench(url, args.iterations))


if __name__ == "__main__":
    main()
