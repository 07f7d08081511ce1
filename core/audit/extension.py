"""Recording every mutation: one audit entry per mutation field an operation executes.

``MutationAudit`` is a per-request schema extension. For a mutation operation the schema
adds its ``capture`` middleware, which sees each root mutation field's arguments and the
object its resolver returned (or the exception it raised), whatever the client selected.
After execution the extension writes one entry per executed or refused field in one
transaction: actor, department, operation name, field, targets, client address, trace id and
outcome. Queries cost nothing: the middleware is only added to mutations.

Targets are global ids only, taken from ``id``-like arguments (``id``, ``customerId``,
``ids``) and from the objects in the returned payload; a value that does not decode as a
global id is never stored, so no input value (names, e-mails, passwords) reaches the log.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from enum import Enum
from inspect import isawaitable
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from unicrm.core.audit.services import current_trace_id, record
from unicrm.core.errors import ApiError, DomainError
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id
from unicrm.core.graph.node import Node

log = logging.getLogger("unicrm.audit")

ACTION = "mutation"
MAX_DEPTH = 4


def _id_like(name: str) -> bool:
    return name in ("id", "ids") or name.endswith(("Id", "Ids", "_id", "_ids"))


def _global_ids(value: Any) -> Iterator[str]:
    """The strings in ``value`` (a string or a list of them) that are well-formed global ids."""
    for item in value if isinstance(value, list | tuple) else (value,):
        if isinstance(item, str):
            try:
                from_global_id(item)
            except InvalidGlobalId:
                continue
            yield item


def targets_of(value: Any, depth: int = 0) -> Iterator[str]:
    """Global ids in arguments or a payload: nodes' ids and ``id``-like entries' values."""
    if depth > MAX_DEPTH or value is None or isinstance(value, str | int | float | bool | Enum):
        return
    if isinstance(value, Node):
        yield from _global_ids(value.id)
        return
    if isinstance(value, list | tuple):
        for item in value:
            yield from targets_of(item, depth + 1)
        return
    if isinstance(value, dict):
        entries = value.items()
    elif dataclasses.is_dataclass(value):
        entries = ((f.name, getattr(value, f.name, None)) for f in dataclasses.fields(value))
    else:
        return
    for name, item in entries:
        if _id_like(name):
            yield from _global_ids(item)
        else:
            yield from targets_of(item, depth + 1)


def _code(error: BaseException | None) -> str:
    if isinstance(error, ApiError):
        return error.code
    if isinstance(error, DomainError):
        return "BAD_REQUEST"
    if isinstance(error, GraphQLError):
        if error.original_error is not None:
            return _code(error.original_error)
        return str((error.extensions or {}).get("code", "BAD_REQUEST"))
    return "INTERNAL"


def payload_outcome(payload: Any) -> tuple[str, dict[str, Any] | None]:
    """``"ok"`` or the payload's error codes, with the failing fields and codes as details."""
    errors = getattr(payload, "errors", None)
    if not errors:
        return "ok", None
    codes: list[str] = []
    found: list[dict[str, Any]] = []
    for error in errors:
        code = getattr(error, "code", None)
        name = code.name if isinstance(code, Enum) else str(code)
        codes.append(name)
        found.append({"field": getattr(error, "field", None), "code": name})
    return ",".join(dict.fromkeys(codes)), {"errors": found}


@dataclass
class FieldCall:
    """One root mutation field as executed."""

    arguments: dict[str, Any]
    result: Any = None
    error: BaseException | None = None


def _root_fields(
    selection_set: SelectionSetNode, fragments: dict[str, Any], out: dict[str, FieldNode]
) -> dict[str, FieldNode]:
    """Response key → field node of an operation's root selections, fragments included."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            out.setdefault(key, selection)
        elif isinstance(selection, InlineFragmentNode):
            _root_fields(selection.selection_set, fragments, out)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _root_fields(fragment.selection_set, fragments, out)
    return out


class MutationCapture:
    """graphql-core middleware remembering each root field's arguments and result."""

    def __init__(self) -> None:
        self.calls: dict[str, FieldCall] = {}

    def resolve(self, next_: Any, root: Any, info: Any, **arguments: Any) -> Any:
        if info.path.prev is not None:
            return next_(root, info, **arguments)
        call = self.calls[info.path.key] = FieldCall(arguments)
        try:
            result = next_(root, info, **arguments)
        except Exception as exc:
            call.error = exc
            raise
        if isawaitable(result):
            return self._finish(call, result)
        call.result = result
        return result

    async def _finish(self, call: FieldCall, pending: Any) -> Any:
        try:
            call.result = await pending
        except Exception as exc:
            call.error = exc
            raise
        return call.result


class MutationAudit(SchemaExtension):
    """Writes one audit entry per mutation field of a mutation operation."""

    def __init__(self) -> None:
        self.capture = MutationCapture()

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context
        if context.operation_type is not OperationType.MUTATION:
            return
        try:
            await self._write()
        except Exception:
            log.exception("could not write the audit entries of a mutation")

    def _entries(self) -> list[dict[str, Any]]:
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return []
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {
            d.name.value: d
            for d in document.definitions
            if not isinstance(d, OperationDefinitionNode)
        }
        name = context.operation_name
        operation = next(
            (o for o in operations if name is None or (o.name and o.name.value == name)), None
        )
        if operation is None:
            return []
        refused = {
            error.path[0]: error
            for error in (context.result.errors if context.result else None) or ()
            if error.path and len(error.path) == 1
        }
        entries = []
        variables = context.variables or {}
        for key, node in _root_fields(operation.selection_set, fragments, {}).items():
            call = self.capture.calls.get(key)
            if call is not None:
                targets = [*targets_of(call.arguments)]
                if call.error is not None:
                    outcome, details = _code(call.error), None
                else:
                    targets += targets_of(call.result)
                    outcome, details = payload_outcome(call.result)
            elif key in refused:  # refused before its resolver ran (authorization)
                arguments = {
                    a.name.value: value_from_ast_untyped(a.value, variables) for a in node.arguments
                }
                targets, outcome, details = [*targets_of(arguments)], _code(refused[key]), None
            else:  # never executed: an earlier field's failure stopped the operation
                continue
            entries.append(
                {
                    "field": node.name.value,
                    "targets": targets,
                    "outcome": outcome,
                    "details": details,
                }
            )
        return entries

    async def _write(self) -> None:
        entries = self._entries()
        if not entries:
            return
        ctx = self.execution_context.context
        request = getattr(ctx, "request", None)
        client = getattr(request, "client", None)
        trace_id = current_trace_id()
        async with ctx.db.transaction() as session:
            for entry in entries:
                await record(
                    session,
                    actor=ctx.actor,
                    action=ACTION,
                    department=ctx.department,
                    operation=self.execution_context.operation_name,
                    client_address=client.host if client is not None else None,
                    trace_id=trace_id,
                    **entry,
                )
