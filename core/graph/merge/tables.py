"""Which rows reference a customer, and which unique keys a move to another customer may hit.

Found from the table metadata, so every core table is covered whichever aggregates exist.
Plugin tables are left to the plugins' ``customer_merge`` hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Index,
    PrimaryKeyConstraint,
    Table,
    TextClause,
    UniqueConstraint,
)

from unicrm.core.db.base import Base

CORE_MODULES = "unicrm.core."
SKIPPED = frozenset(
    {"customer_alias", "customer_search", "customer_merge", "customer_merge_journal"}
)
"""Tables the merge treats on its own (aliases, search documents) or writes (the journal)."""

KEEP_NEWER = {"consent_state": "occurred_at"}
"""Tables where, of two rows with the same key, the later one by this column wins, instead of
the target's: the current consent is the latest one given, whoever it was recorded on."""


@dataclass(frozen=True, slots=True)
class UniqueKey:
    """A unique key over the moving column and ``others``.

    A partial key holds only for rows matching ``where``. When ``where`` is a boolean column
    (``is_primary``), ``flag`` names it: a clash there is settled by clearing the flag on the
    moving row, so the target keeps its primary email and gains the source's as a secondary.
    """

    others: tuple[Column[Any], ...]
    where: ColumnElement[bool] | TextClause | None = None
    flag: Column[Any] | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A column of ``table`` holding a customer id, with what a move of it must respect.

    ``loops`` are the row's other customer references (the row's own id, for ``customer``):
    a row whose reference would end up pointing at the customer it belongs to is cleared
    (nullable column) or dropped.
    """

    table: Table
    column: Column[Any]
    keys: tuple[UniqueKey, ...]
    loops: tuple[Column[Any], ...]
    newer: Column[Any] | None


def core_tables() -> list[Table]:
    """Core's tables in foreign-key order (plugin tables excluded)."""
    core = {
        mapper.local_table
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.startswith(CORE_MODULES)
    }
    return [t for t in Base.metadata.sorted_tables if t in core and t.name not in SKIPPED]


def _customer_columns(table: Table) -> list[Column[Any]]:
    return [
        c
        for c in table.columns
        if any(
            fk.column.table.name == "customer" and fk.column.name == "id" for fk in c.foreign_keys
        )
    ]


def _partial(index: Index, dialect: str) -> Any:
    """The ``WHERE`` of a partial index on this dialect, or None."""
    try:
        return index.dialect_options[dialect]["where"]
    except KeyError:
        return None


def _keys(table: Table, column: Column[Any], dialect: str) -> tuple[UniqueKey, ...]:
    keys: list[UniqueKey] = []
    for constraint in table.constraints:
        if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint):
            columns = list(constraint.columns)
            if column in columns:
                keys.append(UniqueKey(tuple(c for c in columns if c is not column)))
    for index in table.indexes:
        columns = list(index.columns)
        if not index.unique or column not in columns:
            continue
        others = tuple(c for c in columns if c is not column)
        where = _partial(index, dialect)
        if isinstance(where, str):
            where = TextClause(where)
        flag = None
        if isinstance(where, TextClause):
            named = table.columns.get(where.text.strip())
            if named is not None and isinstance(named.type, Boolean):
                flag = named
        elif isinstance(where, Column) and isinstance(where.type, Boolean):
            flag = where
        keys.append(UniqueKey(others, where, flag))
    return tuple(keys)


def _newer(table: Table) -> Column[Any] | None:
    name = KEEP_NEWER.get(table.name)
    return table.columns.get(name) if name else None


def references(dialect: str) -> list[Reference]:
    """Every customer reference of every core table, in foreign-key order."""
    found: list[Reference] = []
    for table in core_tables():
        refs = _customer_columns(table)
        own = [table.c.id] if table.name == "customer" else []
        for column in refs:
            found.append(
                Reference(
                    table=table,
                    column=column,
                    keys=_keys(table, column, dialect),
                    loops=tuple(c for c in [*own, *refs] if c is not column),
                    newer=_newer(table),
                )
            )
    return found
