"""The unit of work of a mutation and the conversion of domain errors into payload errors.

One session and one transaction per mutation: the service runs inside it, a ``DomainError``
rolls everything back and comes back as typed payload errors (Saleor's shape), and the domain
events written to the outbox are dispatched only after the commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError
from unicrm.core.graph.context import RequestContext

R = TypeVar("R")
E = TypeVar("E")


def camel(path: str | None) -> str | None:
    """``lines.0.unit_price`` → ``lines.0.unitPrice``: service field paths in GraphQL terms."""
    if path is None:
        return None

    def one(part: str) -> str:
        head, *rest = part.split("_")
        return head + "".join(p[:1].upper() + p[1:] for p in rest)

    return ".".join(one(p) for p in path.split("."))


def payload_errors(error: DomainError, error_type: Callable[..., E], codes: type[Enum]) -> list[E]:
    fallback = codes.__members__.get("INVALID") or next(iter(codes))
    return [
        error_type(
            field=camel(e.field), code=codes.__members__.get(e.code, fallback), message=e.message
        )
        for e in error.errors
    ]


async def in_transaction(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[R]]
) -> R | DomainError:
    """Run ``work`` in one transaction; return its result, or the ``DomainError`` it raised.

    Events the work emitted are dispatched to handlers after the commit.
    """
    ctx: RequestContext = info.context
    try:
        async with ctx.db.transaction() as session:
            session.info["actor"] = ctx.actor
            session.info["department"] = ctx.department
            result = await work(session)
    except DomainError as error:
        return error
    await ctx.state.events.after_commit()
    return result


async def mutate(
    info: strawberry.Info,
    work: Callable[[AsyncSession], Awaitable[Any]],
    *,
    payload: Callable[..., Any],
    error_type: Callable[..., Any],
    codes: type[Enum],
    result: Callable[[Any], dict[str, Any]],
) -> Any:
    """``in_transaction`` plus the payload: ``result(value)`` gives the payload's other fields."""
    outcome = await in_transaction(info, work)
    if isinstance(outcome, DomainError):
        return payload(errors=payload_errors(outcome, error_type, codes))
    return payload(errors=[], **result(outcome))
