"""Running one request through both executors and comparing the JSON they answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from unicrm.schema.executor import CompiledExecutor


class Outcome:
    """How the requests inside ``executed()`` ran: planned or left to strawberry."""

    def __init__(self) -> None:
        self.compiled = 0
        self.fallbacks = 0


@contextmanager
def executed(mode: str = "auto") -> Iterator[Outcome]:
    """``auto``: as in production; ``strawberry``: the compiled executor is off."""
    outcome = Outcome()
    original = CompiledExecutor.execute

    async def execute(self: CompiledExecutor, execution_context: Any, guard: Any) -> Any:
        if mode == "strawberry":
            return None
        result = await original(self, execution_context, guard)
        if result is None:
            outcome.fallbacks += 1
        else:
            outcome.compiled += 1
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CompiledExecutor, "execute", execute)
        yield outcome


def _without_error_ids(text: str) -> str:
    body = json.loads(text)
    for error in body.get("errors", ()):
        error.get("extensions", {}).pop("errorId", None)
    return json.dumps(body)


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    department: str | None = None,
) -> httpx.Response:
    path = f"/graphql/{department}" if department else "/graphql"
    return await client.post(path, json={"query": query, "variables": variables or {}})


async def both(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    department: str | None = None,
    planned: bool = True,
) -> dict[str, Any]:
    """The body ``query`` answers; asserts both executors answer the same JSON, key order
    included, and (``planned``) that the compiled executor ran it."""
    with executed("strawberry"):
        normal = await post(client, query, variables, department)
    with executed() as outcome:
        compiled = await post(client, query, variables, department)
    assert compiled.status_code == normal.status_code
    assert _without_error_ids(compiled.text) == _without_error_ids(normal.text)
    if planned:
        assert outcome.compiled == 1, "the compiled executor did not run the query"
    return compiled.json()
