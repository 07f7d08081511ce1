"""Building blocks for DataLoaders: per request, batched, each batch in a session of its own.

Sibling resolvers and loader batches run concurrently, and one ``AsyncSession`` must never be
shared across them, so every batch opens a short-lived session: on the request's shared
connection when the request has one (``unicrm.core.db.reads``), taken in turn.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Column, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from strawberry.dataloader import DataLoader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[..., Awaitable[Sequence[tuple[Any, Any]]]]
Scope = Callable[[Any], ColumnElement[bool] | None]


def _scoped(scope: Scope | None, ctx: Any) -> tuple[Any, ...]:
    """The extra ``fetch`` argument of a row-scoped loader: the request's visibility predicate
    (core/authz/rows.py), computed once per request."""
    return () if scope is None else (scope(ctx),)


def one_per_key(fetch: Fetch, scope: Scope | None = None) -> Callable[[Any], DataLoader]:
    """A loader factory for ``key → one value or None``; ``fetch`` returns (key, value) pairs.
    With ``scope``, ``fetch(session, keys, where)`` also gets the actor's row predicate."""

    def factory(ctx: Any) -> DataLoader:
        extra = _scoped(scope, ctx)

        async def load(keys: list[Any]) -> list[Any]:
            async with ctx.read_session() as session:
                found = dict(await fetch(session, keys, *extra))
            return [found.get(k) for k in keys]

        return DataLoader(load_fn=load)

    return factory


def many_per_key(fetch: Fetch, scope: Scope | None = None) -> Callable[[Any], DataLoader]:
    """A loader factory for ``key → list of values`` in the order ``fetch`` returns them
    (row-scoped like ``one_per_key``)."""

    def factory(ctx: Any) -> DataLoader:
        extra = _scoped(scope, ctx)

        async def load(keys: list[Any]) -> list[list[Any]]:
            grouped: dict[Any, list[Any]] = defaultdict(list)
            async with ctx.read_session() as session:
                for key, value in await fetch(session, keys, *extra):
                    grouped[key].append(value)
            return [grouped.get(k, []) for k in keys]

        return DataLoader(load_fn=load)

    return factory


KEYS = bindparam("keys", expanding=True)
"""The keys of a batch: loader statements are built once, with this parameter, so a batch
only binds values (no statement construction or cache-key walk per batch)."""


def rows_by(column: ColumnElement[Any], *order_by: ColumnElement[Any]) -> Fetch:
    """A ``fetch`` of light Core rows of ``column``'s table whose ``column`` is one of the keys,
    in ``order_by``: ``many_per_key(rows_by(email.c.customer_id, email.c.created_at))``.

    The hot-path choice: no ORM hydration. Rows expose the columns as attributes.
    """
    stmt = select(column.table).where(column.in_(KEYS)).order_by(*order_by)

    async def fetch(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
        rows = (await session.execute(stmt, {"keys": keys})).all()
        return [(getattr(row, column.key), row) for row in rows]

    return fetch


def entities_by(
    column: InstrumentedAttribute[Any] | Column[Any], *order_by: ColumnElement[Any]
) -> Fetch:
    """A ``fetch`` of the rows whose ``column`` is one of the keys, each paired with its
    ``column`` value, in ``order_by``: ``many_per_key(entities_by(Deal.customer_id, ...))``.

    A mapped attribute gives ORM entities; a table column (``Deal.__table__.c.customer_id``)
    gives light Core rows, the hot-path choice when the type reads only columns.
    """
    orm = isinstance(column, InstrumentedAttribute)
    stmt = select(column.class_ if orm else column.table).where(column.in_(KEYS))
    stmt = stmt.order_by(*order_by)

    async def fetch(
        session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
    ) -> list[tuple[Any, Any]]:
        scoped = stmt if where is None else stmt.where(where)
        result = await session.execute(scoped, {"keys": keys})
        return [(getattr(row, column.key), row) for row in (result.scalars() if orm else result)]

    return fetch


def latest_by(
    column: InstrumentedAttribute[Any] | Column[Any], *order_by: ColumnElement[Any]
) -> Fetch:
    """A ``fetch`` for keys ``(value, limit)``: the first ``limit`` rows by ``order_by`` whose
    ``column`` is ``value``, for a whole batch in one statement (ROW_NUMBER per value):
    ``many_per_key(latest_by(Order.customer_id, Order.placed_at.desc(), Order.id.desc()))``.

    A mapped attribute gives ORM entities; a table column (``Order.__table__.c.customer_id``)
    gives light Core rows, the hot-path choice when the type reads only columns.
    """
    orm = isinstance(column, InstrumentedAttribute)
    source: Any = column.class_ if orm else column.table
    ident = source.id if orm else source.c.id
    rank = func.row_number().over(partition_by=column, order_by=order_by).label("rank")
    inner = select(ident, rank).where(column.in_(KEYS))

    def statement(where: ColumnElement[bool] | None) -> Any:
        ranked = (inner if where is None else inner.where(where)).subquery()
        return (
            select(source)
            .join(ranked, ranked.c.id == ident)
            .where(ranked.c.rank <= bindparam("most"))
            .order_by(column, ranked.c.rank)
        )

    unscoped = statement(None)

    async def fetch(
        session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
    ) -> list[tuple[Any, Any]]:
        stmt = unscoped if where is None else statement(where)
        values = list({value for value, _ in keys})
        most = max(limit for _, limit in keys)
        result = await session.execute(stmt, {"keys": values, "most": most})
        found: dict[Any, list[Any]] = defaultdict(list)
        for row in result.scalars() if orm else result:
            found[getattr(row, column.key)].append(row)
        return [((value, limit), row) for value, limit in keys for row in found[value][:limit]]

    return fetch


async def load_one(
    info: strawberry.Info, loader: str, key: Any, build: Callable[[Any], V]
) -> V | None:
    """``build(row)`` for the row the request's ``loader`` finds under ``key``, or None.

    A node type's ``load_node`` is ``load_one(info, "<owner>.<thing>_by_id", pk, cls.from_row)``.
    """
    row = await info.context.loaders[loader].load(key)
    return None if row is None else build(row)
