"""Running the read side of a resolver in its own short session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import BadRequest, DomainError

R = TypeVar("R")


async def run_query(info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[R]]) -> R:
    """Run ``work`` in a read session (``RequestContext.read_session``); bad arguments become a
    BAD_REQUEST GraphQL error. ``work`` only runs statements: it must not wait for a loader."""
    try:
        async with info.context.read_session() as session:
            return await work(session)
    except DomainError as error:
        raise BadRequest(str(error)) from None
