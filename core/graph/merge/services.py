"""Merging one customer into another, in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Table,
    TextClause,
    and_,
    delete,
    exists,
    false,
    insert,
    inspect,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.util import ClauseAdapter

from unicrm.core.audit.services import record
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.customers.services import resolve_id
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.merge.journal import MergeJournal
from unicrm.core.graph.merge.models import CustomerMerge
from unicrm.core.graph.merge.tables import Reference, UniqueKey, references
from unicrm.core.graph.search.indexing import mark_stale
from unicrm.core.plugins.manager import PluginManager


@dataclass(frozen=True, slots=True)
class MergeResult:
    customer: Customer
    merge: CustomerMerge


def _pk(table: Table, row: Any) -> dict[str, Any]:
    return {c.name: row[c.name] for c in table.primary_key.columns}


def _pk_in(table: Table, keys: list[dict[str, Any]]) -> Any:
    columns = list(table.primary_key.columns)
    if len(columns) == 1:
        return columns[0].in_([k[columns[0].name] for k in keys])
    return tuple_(*columns).in_([tuple(k[c.name] for c in columns) for k in keys])


def _predicate(key: UniqueKey, table: Table, alias: Any) -> tuple[Any, Any]:
    """A partial key's condition on the moving row and on the target's row (``alias``).

    A text condition names bare columns, which SQL resolves to the innermost table: the
    alias inside the EXISTS subquery, the moving row outside it.
    """
    if key.flag is not None:
        return table.c[key.flag.name].is_(True), alias.c[key.flag.name].is_(True)
    if key.where is None:
        return true(), true()
    if isinstance(key.where, TextClause):
        return key.where, key.where
    return key.where, ClauseAdapter(alias).traverse(key.where)


def _clash(ref: Reference, key: UniqueKey, target: uuid.UUID, *, newer_wins: bool) -> Any:
    """Whether the moving row equals a row of the target under ``key``.

    With ``newer_wins`` only target rows at least as new count (for ``ref.newer`` tables): a
    row that clashes without matching is newer than the target's and replaces it.
    """
    table = ref.table
    other = table.alias("merge_target")
    mine, theirs = _predicate(key, table, other)
    same = [other.c[ref.column.name] == target, theirs]
    same += [other.c[c.name] == table.c[c.name] for c in key.others]
    if newer_wins and ref.newer is not None:
        same.append(other.c[ref.newer.name] >= table.c[ref.newer.name])
    return and_(mine, exists().where(*same))


def _any(conditions: list[Any]) -> Any:
    return or_(false(), *conditions)


async def _older_equals(
    session: AsyncSession, ref: Reference, row: Any, target: uuid.UUID
) -> list[Any]:
    """The target's rows that ``row`` replaces: equal under a full key, and older."""
    table = ref.table
    same = [
        and_(*(table.c[c.name] == row[c.name] for c in key.others))
        for key in ref.keys
        if key.flag is None
    ]
    stmt = select(table).where(table.c[ref.column.name] == target, _any(same))
    return [r._mapping for r in (await session.execute(stmt)).all()]


async def _move(
    session: AsyncSession,
    ref: Reference,
    source: uuid.UUID,
    target: uuid.UUID,
    journal: MergeJournal,
) -> None:
    """Point ``ref`` at the target in every row where it points at the source.

    One read of the source's rows, with flags for what each would clash with, then one
    statement per kind of change. A row equal to one of the target's under a unique key is
    dropped (the target's row wins; for ``ref.newer`` tables the newer row wins); a clash on
    a partial key over a flag (one primary email) clears the moving row's flag instead; a
    row that would reference its own customer is cleared or, if the column is required,
    dropped.
    """
    table, column = ref.table, ref.column
    full = [k for k in ref.keys if k.flag is None]
    flagged = [k for k in ref.keys if k.flag is not None]
    loop = or_(*(c.in_([source, target]) for c in ref.loops)) if ref.loops else false()
    stmt = select(
        table,
        _any([_clash(ref, k, target, newer_wins=True) for k in full]).label("merge_drop"),
        _any([_clash(ref, k, target, newer_wins=False) for k in full]).label("merge_clash"),
        *(
            _clash(ref, k, target, newer_wins=False).label(f"merge_flag_{i}")
            for i, k in enumerate(flagged)
        ),
        loop.label("merge_loop"),
    ).where(column == source)
    rows = [r._mapping for r in (await session.execute(stmt)).all()]
    drop, replace, unloop, move = [], [], [], []
    for row in rows:
        if row["merge_loop"]:
            (unloop if column.nullable else drop).append(row)
        elif row["merge_drop"]:
            drop.append(row)
        else:
            move.append(row)
            if row["merge_clash"]:
                replace.append(row)
    for row in replace:
        drop += await _older_equals(session, ref, row, target)
    if drop:
        keys = [_pk(table, r) for r in drop]
        await session.execute(delete(table).where(_pk_in(table, keys)))
        for pk, row in zip(keys, drop, strict=True):
            journal.dropped(table.name, pk, {c.name: row[c.name] for c in table.columns})
    for i, key in enumerate(flagged):
        keys = [_pk(table, r) for r in move if r[f"merge_flag_{i}"]]
        if keys:
            flag = key.flag.name
            await session.execute(update(table).where(_pk_in(table, keys)).values({flag: False}))
            for pk in keys:
                journal.record(table.name, pk, flag, True, False)
    if unloop:
        keys = [_pk(table, r) for r in unloop]
        await session.execute(update(table).where(_pk_in(table, keys)).values({column.name: None}))
        for pk in keys:
            journal.record(table.name, pk, column.name, source, None)
    if move:
        await session.execute(update(table).where(column == source).values({column.name: target}))
        for row in move:
            journal.record(table.name, _pk(table, row), column.name, source, target)


async def _lock(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID
) -> tuple[Customer, Customer]:
    """Both customers, locked in id order (no deadlock between opposite merges)."""
    source_id, target_id = (
        await resolve_id(session, source_id),
        await resolve_id(session, target_id),
    )
    if source_id == target_id:
        raise DomainError.single(
            "SAME_CUSTOMER", "a customer cannot be merged into itself", "source_id"
        )
    stmt = (
        select(Customer)
        .where(Customer.id.in_([source_id, target_id]))
        .order_by(Customer.id)
        .with_for_update()
    )
    found = {c.id: c for c in (await session.scalars(stmt)).all()}
    missing = [
        FieldError("NOT_FOUND", "no such customer", field)
        for field, pk in (("source_id", source_id), ("target_id", target_id))
        if pk not in found
    ]
    if missing:
        raise DomainError(*missing)
    source, target = found[source_id], found[target_id]
    if source.kind is not target.kind:
        raise DomainError.single(
            "KIND_MISMATCH",
            f"a {source.kind.value} cannot be merged into a {target.kind.value}",
            "target_id",
        )
    return source, target


async def _move_aliases(
    session: AsyncSession, source: uuid.UUID, target: uuid.UUID, journal: MergeJournal
) -> None:
    """Ids merged into the source now resolve to the target, and so does the source's own."""
    old_ids = (
        await session.scalars(
            select(CustomerAlias.old_id).where(CustomerAlias.customer_id == source)
        )
    ).all()
    if old_ids:
        await session.execute(
            update(CustomerAlias)
            .where(CustomerAlias.customer_id == source)
            .values(customer_id=target)
        )
        for old_id in old_ids:
            journal.record("customer_alias", {"old_id": old_id}, "customer_id", source, target)
    alias = {"old_id": source, "customer_id": target}
    await session.execute(insert(CustomerAlias).values(alias))
    journal.added("customer_alias", {"old_id": source}, alias)


def _columns_of(row: Customer) -> dict[str, Any]:
    state = inspect(row)
    return {attr.columns[0].name: getattr(row, attr.key) for attr in state.mapper.column_attrs}


async def merge_customers(
    session: AsyncSession,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    *,
    manager: PluginManager,
) -> MergeResult:
    """Merge ``source_id`` into ``target_id`` and delete the source; the target survives.

    Core rows move first, then the plugins move theirs through ``customer_merge`` with the
    same session and journal; only then is the source deleted, so foreign-key cascades find
    nothing left to destroy. Emits ``customer.merged`` and writes a ``merge`` audit entry.
    """
    source, target = await _lock(session, source_id, target_id)
    actor = session.info.get("actor")
    merge = CustomerMerge(
        source_id=source.id, target_id=target.id, actor=getattr(actor, "name", None)
    )
    session.add(merge)
    await session.flush()
    journal = MergeJournal(merge.id)
    for ref in references(session.get_bind().dialect.name):
        await _move(session, ref, source.id, target.id, journal)
    await _move_aliases(session, source.id, target.id, journal)
    await manager.acall(
        "customer_merge",
        source_id=source.id,
        target_id=target.id,
        session=session,
        journal=journal,
    )
    journal.dropped("customer", {"id": source.id}, _columns_of(source))
    await session.execute(delete(Customer).where(Customer.id == source.id))
    target.version += 1
    await session.flush()
    await journal.write(session)
    mark_stale(session, [source.id, target.id])
    await record(
        session,
        actor=actor or Actor.system(),
        action="merge",
        department=session.info.get("department"),
        targets=[
            to_global_id("Customer", source.id),
            to_global_id("Customer", target.id),
            to_global_id("CustomerMerge", merge.id),
        ],
    )
    emit(
        session,
        "customer.merged",
        {"source_id": str(source.id), "merge_id": str(merge.id)},
        customer_id=target.id,
    )
    return MergeResult(customer=target, merge=merge)
