"""The runner: walks a plan over the root value and builds the response dict directly.

What is at hand synchronously (attributes, sync resolvers) is completed depth-first in field
order, as graphql-core does, so errors come in the same order. Loads and async resolvers are
queued; when the walk is done, every queued load of a loader is one ``load_many`` (one
batched statement per relation per level, through the request's named DataLoaders, so row
scopes and caching are the ones strawberry's execution uses) and all of them run together.
Their values are then completed, which may queue the next level.

Null propagation follows the spec: a null (or an error) at a non-null position nulls the
nearest nullable ancestor, and errors below a nulled position are dropped (as graphql-core's
``CollectedErrors`` does).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from graphql import GraphQLError, located_error
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path, is_iterable
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo
from strawberry.types.arguments import convert_arguments
from strawberry.utils.await_maybe import await_maybe

from unicrm.core.authz.masking import mask
from unicrm.core.errors import Forbidden
from unicrm.schema.executor.plan import (
    ABSTRACT,
    ATTRIBUTE,
    CALL,
    LEAF,
    LIST,
    LOAD,
    NOT_MASKED,
    TYPENAME,
    Completion,
    FieldPlan,
    Plan,
)


class _Bubble(Exception):
    """A null reached a non-null position; the nearest nullable ancestor becomes null."""


BUBBLE = _Bubble()


class Slot:
    """Where an object or list sits in the response, for paths and null propagation."""

    __slots__ = ("container", "dead", "key", "nullable", "parent")

    def __init__(self, container: Any, key: Any, nullable: bool, parent: Slot | None) -> None:
        self.container = container
        self.key = key
        self.nullable = nullable
        self.parent = parent
        self.dead = False

    def alive(self) -> bool:
        slot: Slot | None = self
        while slot is not None:
            if slot.dead:
                return False
            slot = slot.parent
        return True

    def path(self) -> list[Any]:
        out = []
        slot: Slot | None = self
        while slot is not None and slot.parent is not None:
            out.append(slot.key)
            slot = slot.parent
        out.reverse()
        return out


class Runner:
    """One execution of one plan."""

    def __init__(
        self,
        plan: Plan,
        schema: Any,
        context: Any,
        root_value: Any,
        variables: VariableValues,
        operation_extensions: Any,
        reads: dict[str, dict[str, None]] | None,
    ) -> None:
        self.plan = plan
        self.schema = schema
        self.context = context
        self.root_value = root_value
        self.variables = variables
        self.operation_extensions = operation_extensions
        self.reads = reads
        self.errors: list[GraphQLError] = []
        self.pending: list[tuple[FieldPlan, Any, dict[str, Any], Slot, Any]] = []
        self.type_names: dict[type, str] = {}
        self._arguments: dict[int, dict[str, Any]] = {}
        self._python_arguments: dict[int, dict[str, Any]] = {}

    async def run(self) -> tuple[dict[str, Any] | None, list[GraphQLError]]:
        holder: dict[str, Any] = {"data": None}
        data: dict[str, Any] = {}
        root = Slot(holder, "data", True, None)
        holder["data"] = data
        try:
            self.walk(self.plan.fields, self.root_value, data, root, self.plan.root_type.name)
        except _Bubble:
            holder["data"] = None
        while self.pending and root.alive():
            await self.drain()
        return holder["data"], self.errors

    # -- errors -------------------------------------------------------------------------

    def error(self, raw: Exception, plan: FieldPlan, slot: Slot, key: Any, *more: Any) -> None:
        if not slot.alive():
            return
        path = [*slot.path(), key, *more]
        self.errors.append(located_error(raw, plan.nodes, path))

    def null_error(self, plan: FieldPlan, slot: Slot, key: Any) -> None:
        message = f"Cannot return null for non-nullable field {plan.coordinate}."
        self.error(TypeError(message), plan, slot, key)

    # -- arguments and resolvers --------------------------------------------------------

    def arguments(self, plan: FieldPlan) -> dict[str, Any]:
        if plan.arguments is not None:
            return plan.arguments
        found = self._arguments.get(id(plan))
        if found is None:
            found = get_argument_values(plan.field_def, plan.nodes[0], self.variables)
            self._arguments[id(plan)] = found
        return found

    def python_arguments(self, plan: FieldPlan) -> dict[str, Any]:
        """The arguments as the resolver gets them (Python names, strawberry input types)."""
        found = self._python_arguments.get(id(plan))
        if found is None:
            found = convert_arguments(
                self.arguments(plan),
                plan.strawberry_field.arguments,
                scalar_registry=self.schema.schema_converter.scalar_registry,
                config=self.schema.config,
            )
            self._python_arguments[id(plan)] = found
        return found

    def info(self, plan: FieldPlan, slot: Slot, key: str) -> Any:
        path: Path | None = None
        for segment in slot.path():
            path = Path(path, segment, None)
        return _OperationContextAwareGraphQLResolveInfo(
            plan.name,
            plan.nodes,
            plan.field_def.type,
            plan.parent_type,
            Path(path, key, plan.parent_type.name),
            self.schema._schema,
            self.plan.fragments,
            self.root_value,
            self.plan.operation,
            self.variables.coerced,
            self.context,
            None,
            None,
            None,
            self.operation_extensions,
        )

    # -- the walk -----------------------------------------------------------------------

    def walk(
        self, fields: list[FieldPlan], source: Any, out: dict[str, Any], slot: Slot, type_name: str
    ) -> None:
        """Complete ``fields`` of ``source`` into ``out``; raises ``_Bubble`` when a non-null
        field is null (the caller nulls ``out``'s position)."""
        for plan in fields:
            key = plan.key
            kind = plan.kind
            if kind is TYPENAME:
                out[key] = type_name
                continue
            completion = plan.completion
            assert completion is not None
            if plan.denied:
                self.error(Forbidden(f"not allowed to read {plan.coordinate}"), plan, slot, key)
                out[key] = None
                if not completion.nullable:
                    raise BUBBLE
                continue
            if plan.audited and self.reads is not None:
                target = getattr(source, "id", None)
                if isinstance(target, str):
                    self.reads.setdefault(plan.coordinate, {})[target] = None
            try:
                if kind is ATTRIBUTE:
                    value = getattr(source, plan.attribute)
                elif kind is LOAD:
                    load = plan.load
                    assert load is not None
                    wanted = load.key(
                        source, self.python_arguments(plan) if plan.nodes[0].arguments else {}
                    )
                    if wanted is not None:
                        out[key] = None
                        self.pending.append((plan, source, out, slot, wanted))
                        continue
                    value = None
                else:
                    value = plan.field_def.resolve(
                        source, self.info(plan, slot, key), **self.arguments(plan)
                    )
                    if hasattr(value, "__await__"):
                        out[key] = None
                        self.pending.append((plan, source, out, slot, value))
                        continue
            except Exception as raw:
                self.error(raw, plan, slot, key)
                out[key] = None
                if not completion.nullable:
                    raise BUBBLE from None
                continue
            out[key] = self.complete(plan, completion, value, out, key, slot)

    def complete(
        self,
        plan: FieldPlan,
        completion: Completion,
        value: Any,
        container: Any,
        key: Any,
        parent: Slot,
    ) -> Any:
        """The completed ``value`` for position ``key`` of ``container``; raises ``_Bubble``
        when the position is non-null and the value null (the error is already recorded)."""
        if value is None:
            if completion.nullable:
                return None
            self.null_error(plan, parent, key)
            raise BUBBLE
        kind = completion.kind
        if kind is LEAF:
            if plan.mask is not NOT_MASKED:
                value = mask(value, plan.mask)
            try:
                out = completion.serialize(value)
            except Exception as raw:
                self.error(raw, plan, parent, key)
                if completion.nullable:
                    return None
                raise BUBBLE from None
            return out
        if kind is LIST:
            if not is_iterable(value):
                message = f"Expected Iterable, but did not find one for field '{plan.coordinate}'."
                self.error(GraphQLError(message), plan, parent, key)
                if completion.nullable:
                    return None
                raise BUBBLE
            slot = Slot(container, key, completion.nullable, parent)
            item = completion.item
            assert item is not None
            items: list[Any] = []
            try:
                for index, element in enumerate(value):
                    items.append(None)
                    items[index] = self.complete(plan, item, element, items, index, slot)
            except _Bubble:
                slot.dead = True
                if completion.nullable:
                    return None
                raise
            return items
        if kind is ABSTRACT:
            cls = type(value)
            type_name = self.type_names.get(cls)
            if type_name is None:
                type_name = cls.__strawberry_definition__.name  # type: ignore[attr-defined]
                self.type_names[cls] = type_name
            fields = completion.by_type[type_name]
        else:
            type_name = completion.type_name
            fields = completion.fields  # type: ignore[assignment]
        out: dict[str, Any] = {}
        slot = Slot(container, key, completion.nullable, parent)
        try:
            self.walk(fields, value, out, slot, type_name)
        except _Bubble:
            slot.dead = True
            if completion.nullable:
                return None
            raise
        return out

    # -- the queued level ---------------------------------------------------------------

    async def drain(self) -> None:
        batch, self.pending = self.pending, []
        by_loader: dict[str, list[Any]] = defaultdict(list)
        for plan, _source, _out, _slot, wanted in batch:
            if plan.kind is LOAD:
                by_loader[plan.load.loader].append(wanted)  # type: ignore[union-attr]
        loaders = self.context.loaders
        names = list(by_loader)
        waits = [loaders[name].load_many(by_loader[name]) for name in names]
        calls = [item[4] for item in batch if item[0].kind is CALL]
        done = await asyncio.gather(
            *waits, *(await_maybe(c) for c in calls), return_exceptions=True
        )
        loaded = {
            name: done[i]
            if isinstance(done[i], BaseException)
            else dict(zip(by_loader[name], done[i], strict=True))
            for i, name in enumerate(names)
        }
        called = iter(done[len(names) :])
        for plan, _source, out, slot, wanted in self._in_resumption_order(batch, names):
            if plan.kind is LOAD:
                load = plan.load
                assert load is not None
                rows = loaded[load.loader]
                value = rows if isinstance(rows, BaseException) else rows[wanted]
                if not isinstance(value, BaseException):
                    try:
                        value = load.build(value)
                    except Exception as raw:
                        value = raw
            else:
                value = next(called)
            self.finish(plan, out, slot, value)

    @staticmethod
    def _in_resumption_order(batch: list[Any], loaders: list[str]) -> list[Any]:
        """``batch`` in the order strawberry's execution resumes its fields, so that errors
        come in the same order: resolver calls first, then each loader's waiters by the first
        appearance of their key (a DataLoader settles its futures in key order)."""
        calls = [item for item in batch if item[0].kind is CALL]
        first_key: dict[Any, int] = {}
        for index, item in enumerate(batch):
            if item[0].kind is LOAD:
                first_key.setdefault((item[0].load.loader, item[4]), index)
        order = {name: position for position, name in enumerate(loaders)}
        loads = sorted(
            (item for item in batch if item[0].kind is LOAD),
            key=lambda item: (
                order[item[0].load.loader],
                first_key[(item[0].load.loader, item[4])],
            ),
        )
        return calls + loads

    def finish(self, plan: FieldPlan, out: dict[str, Any], slot: Slot, value: Any) -> None:
        if not slot.alive():
            return
        completion = plan.completion
        assert completion is not None
        key = plan.key
        try:
            if isinstance(value, Exception):
                self.error(value, plan, slot, key)
                if not completion.nullable:
                    raise BUBBLE
                return
            out[key] = self.complete(plan, completion, value, out, key, slot)
        except _Bubble:
            self.propagate(slot)

    def propagate(self, slot: Slot | None) -> None:
        """Null the object at ``slot``: at its position if nullable, else further up."""
        while slot is not None:
            slot.dead = True
            if slot.nullable:
                slot.container[slot.key] = None
                return
            slot = slot.parent
