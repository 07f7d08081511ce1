"""The database layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import from_minor, to_minor


async def test_savepoint_rolls_back_only_its_own_writes(unicrm_state):
    db = unicrm_state.db
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS probe_rows (x INTEGER)"))
        await conn.execute(text("DELETE FROM probe_rows"))
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            async with session.begin_nested():
                await session.execute(text("INSERT INTO probe_rows VALUES (1)"))
            raise RuntimeError("outer transaction fails")
    async with db.transaction() as session:
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await session.execute(text("INSERT INTO probe_rows VALUES (2)"))
                raise RuntimeError("inner savepoint fails")
        await session.execute(text("INSERT INTO probe_rows VALUES (3)"))
    async with db.session() as session:
        rows = (await session.execute(text("SELECT x FROM probe_rows"))).scalars().all()
    assert rows == [3]


async def test_money_and_times_round_trip_exactly(unicrm_state):
    from unicrm.core.graph.products.models import Product

    bangkok = timezone(timedelta(hours=7))
    async with unicrm_state.db.transaction() as session:
        product = Product(sku="RT-1", name="Round trip", price=Decimal("1234.5678"), currency="THB")
        session.add(product)
        await session.flush()
        product.created_at = datetime(2026, 1, 1, 7, 0, tzinfo=bangkok)
    async with unicrm_state.db.session() as session:
        stored = await session.scalar(select(Product).where(Product.sku == "RT-1"))
    assert stored.price == Decimal("1234.5678")
    assert stored.created_at == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert stored.created_at.tzinfo is not None


def test_money_is_stored_as_exact_ten_thousandths():
    assert to_minor(Decimal("0.1") + Decimal("0.2")) == 3000
    assert to_minor(Decimal("1.00005")) == 10000  # half to even
    assert from_minor(12345678) == Decimal("1234.5678")


def test_uuid7_ids_are_version_7_and_strictly_increasing():
    ids = [uuid7() for _ in range(5000)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
