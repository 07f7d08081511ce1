"""Column types that behave the same on SQLite and PostgreSQL.

* ``UTCDateTime``: timezone-aware UTC in and out (SQLite keeps no offset).
* ``MoneyAmount``: an exact ``Decimal`` stored as BIGINT ten-thousandths (SQLite has no exact
  NUMERIC), so 1234.5678 THB is stored as 12345678.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

MONEY_SCALE = 10_000
MONEY_QUANTUM = Decimal("0.0001")


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UniCRM stores only timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_minor(amount: Decimal) -> int:
    """Decimal → integer ten-thousandths, rounding half to even past the fourth place."""
    return int(amount.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN) * MONEY_SCALE)


def from_minor(value: int) -> Decimal:
    return (Decimal(value) / MONEY_SCALE).quantize(MONEY_QUANTUM)


class MoneyAmount(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_minor(value if isinstance(value, Decimal) else Decimal(str(value)))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else from_minor(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


def text_enum(enum: type[StrEnum], length: int = 16) -> Enum:
    """A Python string enum stored as its values in a VARCHAR (no database enum type, so a new
    member needs no migration of the type)."""
    return Enum(
        enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )
