"""From a stored or submitted filter tree to SQL: the catalogue of filters, validation, and the
one statement that counts, lists or re-checks the customers a tree selects.

Filters come from every plugin's ``segment_filters()`` (core's included). The registry checks
them at startup with ``check_filters``, which also keeps them for the process: event handlers
and jobs get only a session, yet must compile saved trees (``Catalog.known``). Filter names
are prefixed by their plugin, so every registry of a process agrees on them. A request sees
the filters of core and of the plugins its department enables (``Catalog.for_plugins``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Uuid, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError, FieldError, PluginError
from unicrm.core.graph.attributes.models import AttributeDefinition
from unicrm.core.graph.customers.models import Customer
from unicrm.core.plugins.manager import CORE_PLUGIN_NAME
from unicrm.core.segments.core_filters import ATTRIBUTE_PREFIX, attribute_filter
from unicrm.core.segments.filters import (
    Node,
    Problems,
    SegmentFilter,
    compile_tree,
    names_in,
    parse,
)

_KNOWN: dict[str, SegmentFilter] = {}


def check_filters(contributed: Mapping[str, list[Any]]) -> None:
    """Validate what ``segment_filters()`` returned, per plugin: ``SegmentFilter``s, each name
    once, a plugin's names prefixed by the plugin. Remembered for sessions without a request."""
    owner: dict[str, str] = {}
    for plugin, items in contributed.items():
        for item in items:
            if not isinstance(item, SegmentFilter):
                raise PluginError(f"plugin {plugin!r}: segment_filters must return SegmentFilter")
            if plugin != CORE_PLUGIN_NAME and not item.name.startswith(f"{plugin}."):
                raise PluginError(
                    f"plugin {plugin!r}: segment filter {item.name!r} must start with {plugin}."
                )
            if item.name.startswith(ATTRIBUTE_PREFIX):
                raise PluginError(f"segment filter {item.name!r}: attribute.* is core's")
            if item.name in owner:
                raise PluginError(
                    f"segment filter {item.name!r} is declared by {owner[item.name]!r} "
                    f"and {plugin!r}"
                )
            owner[item.name] = plugin
    _KNOWN.update({f.name: f for items in contributed.values() for f in items})


@dataclass(frozen=True, slots=True)
class Catalog:
    """The filters one caller may use: name → filter (attribute filters are loaded per tree)."""

    filters: Mapping[str, SegmentFilter]

    @classmethod
    def for_plugins(cls, registry: Any, enabled: Iterable[str] | None) -> Catalog:
        """Core's filters and those of the ``enabled`` plugins (all installed ones if None)."""
        plugins = None if enabled is None else {CORE_PLUGIN_NAME, *enabled}
        return cls(
            {
                f.name: f
                for plugin, items in registry.segment_filters.items()
                if plugins is None or plugin in plugins
                for f in items
            }
        )

    @classmethod
    def known(cls) -> Catalog:
        """Every filter this process has seen: for refreshes outside a request."""
        return cls(dict(_KNOWN))


async def attribute_filters(
    session: AsyncSession, keys: Iterable[str] | None = None
) -> dict[str, SegmentFilter]:
    """``attribute.<key>`` filters for the named keys (every definition when None)."""
    stmt = select(AttributeDefinition).order_by(AttributeDefinition.key)
    if keys is not None:
        wanted = list(keys)
        if not wanted:
            return {}
        stmt = stmt.where(AttributeDefinition.key.in_(wanted))
    return {ATTRIBUTE_PREFIX + d.key: attribute_filter(d) for d in await session.scalars(stmt)}


async def resolve(
    session: AsyncSession,
    raw: Any,
    catalog: Catalog,
    path: str = "definition",
    allowed: Any = None,
) -> Node:
    """The validated tree of ``raw``; every problem is a ``DomainError`` item at its path
    (``definition.and.1.value``)."""
    keys = {n[len(ATTRIBUTE_PREFIX) :] for n in names_in(raw) if n.startswith(ATTRIBUTE_PREFIX)}
    attributes = await attribute_filters(session, keys)
    filters = {**catalog.filters, **attributes}
    problems = Problems()
    tree = parse(raw, filters.get, problems, path, allowed)
    if problems.items or tree is None:
        raise DomainError(*(FieldError(code, message, at) for code, message, at in problems.items))
    return tree


def where(tree: Node, scope: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    """The tree's predicate on ``customer``, narrowed to the caller's row scope."""
    predicate = compile_tree(tree)
    return predicate if scope is None else predicate & scope


def count_statement(tree: Node, scope: ColumnElement[bool] | None = None) -> Select[Any]:
    return select(func.count()).select_from(Customer).where(where(tree, scope))


def customers_statement(tree: Node, scope: ColumnElement[bool] | None = None) -> Select[Any]:
    """The matching customers, to paginate (``paginate`` adds the keyset and the limit)."""
    return select(Customer).where(where(tree, scope))


def matches_for(trees: Mapping[uuid.UUID, Node], customer_id: uuid.UUID) -> list[Select[Any]]:
    """One ``SELECT :segment_id WHERE EXISTS(...)`` per tree for one customer, to UNION."""
    return [
        select(literal(segment_id, Uuid()).label("segment_id")).where(
            exists(select(Customer.id).where(Customer.id == customer_id, compile_tree(tree)))
        )
        for segment_id, tree in trees.items()
    ]
