"""Keyset (cursor) pagination for Relay connections. Never OFFSET.

A page is ordered by one sort column plus the primary key as a tie-breaker, both in the same
direction. The cursor is the opaque, base64url-encoded JSON of the last row's sort values, so
the next page is ``WHERE (sort, id) > (:v, :id)``, an index range scan on both databases.
Cursor values are checked against the key columns and bound through their types (a Money
bound is compared in stored ten-thousandths); a cursor that does not fit is INVALID_CURSOR.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.plan import direct

T = TypeVar("T")
N = TypeVar("N")


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["D", value.isoformat()]
    if isinstance(value, uuid.UUID):
        return ["u", value.hex]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, Enum):
        return ["v", value.value]
    return ["v", value]


def _decode_value(item: Any) -> Any:
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError("item")
    tag, raw = item
    if tag == "v" and (raw is None or isinstance(raw, str | int | float | bool)):
        return raw
    if not isinstance(raw, str):
        raise ValueError(tag)
    if tag == "t":
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        return moment
    if tag == "D":
        return date.fromisoformat(raw)
    if tag == "u":
        return uuid.UUID(hex=raw)
    if tag == "d":
        amount = Decimal(raw)
        if not amount.is_finite():
            raise ValueError("not a finite decimal")
        return amount
    raise ValueError(tag)


def _python_type(sql_type: TypeEngine[Any]) -> type:
    """The Python type a column type takes; a ``TypeDecorator`` answers for its storage type."""
    try:
        expected = sql_type.python_type
    except NotImplementedError:
        return object
    if expected is object and isinstance(sql_type, TypeDecorator):
        return _python_type(sql_type.impl_instance)
    return expected


def _fit(value: Any, key: ColumnElement[Any]) -> Any:
    """``value`` as a bound for ``key``; ValueError when a cursor holds the wrong kind of value
    (e.g. a cursor of another sort order), which would otherwise fail inside the database."""
    if value is None:
        return None
    expected = _python_type(key.type)
    if expected is object:
        return value
    if issubclass(expected, Enum):
        return expected(value)
    if issubclass(expected, int | float | Decimal) and not issubclass(expected, bool):
        # MoneyAmount reports int (its storage) but takes Decimal; any number may bound it.
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return value
    elif isinstance(value, expected):
        return value
    raise ValueError(f"a cursor value of type {type(value).__name__} for {key}")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([_encode_value(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int, field: str) -> list[Any]:
    """The values ``encode_cursor`` encoded; a malformed cursor is a ``DomainError`` on ``field``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        items = orjson.loads(raw)
        if not isinstance(items, list) or len(items) != arity:
            raise ValueError("arity")
        return [_decode_value(item) for item in items]
    except (binascii.Error, ValueError, TypeError, ArithmeticError):
        raise _invalid_cursor(field) from None


def _invalid_cursor(field: str) -> DomainError:
    return DomainError(FieldError("INVALID_CURSOR", f"{field} is not a valid cursor", field))


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo
    count_query: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="The number of items in the whole list; costs a count query.")
    @direct
    async def total_count(self) -> int:
        if self.count_query is None:
            return len(self.edges)
        return await self.count_query()

    @strawberry.field(description="The nodes of this page, without cursors.")
    @direct
    def nodes(self) -> list[N]:
        return [edge.node for edge in self.edges]


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def size(self, max_page_size: int) -> int:
        if self.first is not None and self.last is not None:
            raise DomainError(FieldError("INVALID", "pass first or last, not both", "first"))
        size = self.first if self.first is not None else self.last
        name = "first" if self.last is None else "last"
        if size is None:
            return min(20, max_page_size)
        if size < 0 or size > max_page_size:
            raise DomainError(
                FieldError("PAGE_SIZE", f"{name} must be between 0 and {max_page_size}", name)
            )
        return size


@dataclass
class Page(Generic[T]):
    rows: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool

    def page_info(self) -> PageInfo:
        return PageInfo(
            has_next_page=self.has_next_page,
            has_previous_page=self.has_previous_page,
            start_cursor=self.cursors[0] if self.cursors else None,
            end_cursor=self.cursors[-1] if self.cursors else None,
        )

    def connection(
        self, to_node: Callable[[T], N], count_query: Callable[[], Awaitable[int]] | None = None
    ) -> Connection[N]:
        return Connection(
            edges=[
                Edge(cursor=c, node=to_node(r))
                for c, r in zip(self.cursors, self.rows, strict=True)
            ],
            page_info=self.page_info(),
            count_query=count_query,
        )


async def paginate(
    session: Any,
    stmt: Select[Any],
    *,
    keys: Sequence[ColumnElement[Any]],
    page: PageRequest,
    max_page_size: int,
    descending: bool = False,
    key_of: Callable[[Any], Sequence[Any]],
    scalars: bool = True,
) -> Page[Any]:
    """Run one keyset page of ``stmt`` ordered by ``keys`` (sort column(s) then the id).

    ``key_of(row)`` returns the row's values for ``keys``, used to build its cursor. Fetches one
    row more than asked to learn whether another page follows.
    """
    size = page.size(max_page_size)
    backwards = page.last is not None
    forward_desc = descending != backwards
    key = tuple_(*keys) if len(keys) > 1 else keys[0]
    for cursor, name, is_after in ((page.after, "after", True), (page.before, "before", False)):
        if cursor is None:
            continue
        try:
            values = [
                literal(_fit(v, k), type_=k.type)
                for v, k in zip(decode_cursor(cursor, len(keys), name), keys, strict=True)
            ]
        except (ValueError, TypeError):
            raise _invalid_cursor(name) from None
        bound = tuple_(*values) if len(keys) > 1 else values[0]
        greater = is_after != descending
        stmt = stmt.where(key > bound if greater else key < bound)
    order = [k.desc() if forward_desc else k.asc() for k in keys]
    stmt = stmt.order_by(*order).limit(size + 1)
    result = await session.execute(stmt)
    rows = list(result.scalars().all() if scalars else result.all())
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    cursors = [encode_cursor(key_of(r)) for r in rows]
    return Page(
        rows=rows,
        cursors=cursors,
        has_next_page=more if not backwards else page.before is not None,
        has_previous_page=more if backwards else page.after is not None,
    )


def count_of(db: Any, stmt: Select[Any]) -> Callable[[], Awaitable[int]]:
    """A deferred ``SELECT count(*)`` over ``stmt``, run only when ``totalCount`` is asked."""

    async def run() -> int:
        async with db.session() as session:
            counted = select(func.count()).select_from(stmt.order_by(None).subquery())
            return int(await session.scalar(counted) or 0)

    return run
