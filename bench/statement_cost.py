"""CPU per loader statement by the way it is issued, on PostgreSQL (never run by CI).

.venv/bin/python -m bench.statement_cost [--database-url URL] [--iterations 500]

Runs the order-lines batch of a customer-360 page (the lines of 10 orders) five ways, twice
each, on one connection of the benchmark database (``python -m bench.generate``): an ORM
statement built per batch (UniCRM's loaders before they were prebuilt), the same statement
prebuilt with an expanding ``keys`` parameter (today's ``entities_by``), a prebuilt Core
statement through a session and straight on the connection, and asyncpg alone with the SQL
written by hand. Prints the process CPU ms per statement.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench.generate import DEFAULT_URL
from unicrm.core.graph.orders.models import OrderLine

LINES = OrderLine.__table__


async def main(database_url: str, iterations: int) -> None:
    engine = create_async_engine(database_url)
    keys = bindparam("keys", expanding=True)
    prebuilt_orm = (
        select(OrderLine).where(OrderLine.order_id.in_(keys)).order_by(OrderLine.position)
    )
    prebuilt_core = select(LINES).where(LINES.c.order_id.in_(keys)).order_by(LINES.c.position)
    sql = "SELECT * FROM order_line WHERE order_id = ANY($1::uuid[]) ORDER BY position"
    async with engine.connect() as conn:
        ids = [r[0] for r in (await conn.execute(text("SELECT id FROM customer_order LIMIT 10")))]
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None

        async def built(s: AsyncSession) -> Any:
            stmt = select(OrderLine).where(OrderLine.order_id.in_(ids))
            return (await s.scalars(stmt.order_by(OrderLine.position))).all()

        ways: dict[str, Callable[[AsyncSession], Awaitable[Any]]] = {
            "ORM, built per batch": built,
            "ORM, prebuilt": lambda s: _all(s.scalars(prebuilt_orm, {"keys": ids})),
            "Core, session": lambda s: _all(s.execute(prebuilt_core, {"keys": ids})),
            "Core, connection": lambda s: _all(conn.execute(prebuilt_core, {"keys": ids})),
            "asyncpg, hand-written": lambda s: driver.fetch(sql, ids),
        }
        for _ in range(2):
            for name, way in ways.items():
                async with AsyncSession(bind=conn) as session:
                    rows = len(await way(session))
                    began = time.process_time()
                    for _ in range(iterations):
                        await way(session)
                    spent = (time.process_time() - began) / iterations * 1000
                print(f"{name:24s} {rows} rows  {spent:.3f} ms CPU per statement", flush=True)
    await engine.dispose()


async def _all(pending: Awaitable[Any]) -> Any:
    return (await pending).all()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--iterations", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.iterations))
