"""What authorization costs on the customer-360 query, with a realistic policy set
(never run by CI).

.venv/bin/python bench/authz_overhead.py [--database-url URL] [--iterations 400]

Builds a database (SQLite in a temporary directory unless ``--database-url`` names one) with
the demo data, adds 60 roles of 40 rules each (allows and denies on real permissions and
coordinates, 2,400+ policies, with 200 users linked to them), then runs the same customer-360
operation in-process through the composed schema of the default department:

* as UniCRM's system actor, which skips access decisions entirely (the baseline);
* as a user holding ``store_staff`` plus one of the generated roles: contacts are masked and
  one field is denied, so the per-operation decisions and the field middleware both run,
  and the customer list carries the row-scope predicate.

Prints the mean, p50 and p99 per operation of each and the overhead of authorization.
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

from sqlalchemy import select

from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.store import load_policies, to_row
from unicrm.core.config import load_settings
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.users.models import User
from unicrm.core.state import AppState, create_state
from unicrm.schema.composer import build_schema
from unicrm.schema.context import make_context

ROLES, RULES_PER_ROLE, USERS = 60, 40, 200
OBJECTS = (
    "core.customer",
    "core.contact",
    "core.consent",
    "core.tag",
    "core.order",
    "core.product",
    "sfa.deal",
    "crm.case",
    "loyalty.member",
    "Customer.taxId",
    "Customer.birthDate",
    "pii:identity",
    "pii:profile",
)
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


def policy_rules(users: list[str]) -> list[Rule]:
    rules = []
    for r in range(ROLES):
        for k in range(RULES_PER_ROLE):
            obj = OBJECTS[(r + k) % len(OBJECTS)]
            department = "*" if k % 3 else "default"
            action = ("read", "write", "read_masked", "delete")[k % 4]
            rules.append(Rule.allow(f"bench_role{r}", department, obj, action))
        rules.append(Rule.deny(f"bench_role{r}", "*", "Customer.taxId", "read"))
    for u, subject in enumerate(users):
        rules.append(Rule.link(subject, f"bench_role{u % ROLES}", "*"))
    return rules


def unicrm(database_url: str, *args: str) -> None:
    env = {**os.environ, "UNICRM_DATABASE_URL": database_url}
    command = Path(sys.executable).parent / "unicrm"  # the console script of this venv
    subprocess.run([str(command), *args], env=env, check=True)


async def measure(
    state: AppState, actors: dict[str, Actor], customer: str, iterations: int
) -> dict[str, list[float]]:
    """Milliseconds per operation for each actor, the actors interleaved so that drift in the
    machine's load hits them alike; the first 50 rounds warm the caches."""
    department = await state.departments.get(None)
    schema = state.schema_for(frozenset(department.plugins))
    timings: dict[str, list[float]] = {name: [] for name in actors}
    for i in range(iterations + 50):
        for name, actor in actors.items():
            context = make_context(state, department, actor)
            started = time.perf_counter()
            result = await schema.execute(
                CUSTOMER_360, variable_values={"id": customer}, context_value=context
            )
            elapsed = time.perf_counter() - started
            if result.data is None or result.data["customer"] is None:
                raise SystemExit(f"the customer-360 query failed: {result.errors}")
            if i >= 50:
                timings[name].append(elapsed * 1000)
    return timings


async def bench(database_url: str, iterations: int) -> None:
    settings = load_settings(database_url=database_url)
    state = create_state(settings, schema_factory=build_schema)
    async with state.db.transaction() as session:
        staff = User(email="bench-staff@unicrm.bench", display_name="Bench staff")
        session.add(staff)
        others = [User(email=f"bench{u}@unicrm.bench", display_name=f"b{u}") for u in range(USERS)]
        session.add_all(others)
        await session.flush()
        subjects = [f"user:{u.id}" for u in others]
        rules = policy_rules(subjects)
        rules += [
            Rule.link(f"user:{staff.id}", "store_staff", "*"),
            Rule.link(f"user:{staff.id}", "bench_role0", "*"),
        ]
        session.add_all(to_row(rule) for rule in rules)
        row = await session.scalar(select(Customer).order_by(Customer.created_at).limit(1))
        row.owner_id = staff.id
    await load_policies(state)
    customer = to_global_id("Customer", row.id)
    print(f"policies: {len(state.authz.rules)} rules, {ROLES} generated roles")

    user = Actor(user_id=staff.id, name="Bench staff", subject=f"user:{staff.id}")
    found = await measure(
        state,
        {"no decisions (system)": Actor.system(), "authorized user": user},
        customer,
        iterations,
    )
    await state.db.dispose()
    system, authorized = found.values()
    for name, timings in found.items():
        timings.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        print(
            f"{name:>22}: mean {statistics.mean(timings):.2f} ms, "
            f"p50 {statistics.median(timings):.2f} ms, p99 {p99:.2f} ms"
        )
    overhead = statistics.median(authorized) / statistics.median(system) - 1
    print(f"authorization overhead at p50: {overhead * 100:.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--iterations", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        unicrm(url, "db", "upgrade")
        unicrm(url, "demo", "--size", "50", "--seed", "7")
        asyncio.run(bench(url, args.iterations))


if __name__ == "__main__":
    main()
