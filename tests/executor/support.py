"""Running one request through both executors and comparing the JSON they answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from unicrm.schema.composer import ComposedSchema
from unicrm.schema.errors import format_error
from unicrm.schema.executor import CompiledExecutor


class Outcome:
    """How the requests inside ``executed()`` ran: planned or left to strawberry."""

    def __init__(self) -> None:
        self.compiled = 0
        self.fallbacks = 0
        self.reasons: list[str] = []


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

    fallback = CompiledExecutor._fallback

    def note(self: CompiledExecutor, operation_name: str | None, reason: Any) -> None:
        outcome.reasons.append(str(reason))
        fallback(self, operation_name, reason)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CompiledExecutor, "execute", execute)
        patch.setattr(CompiledExecutor, "_fallback", note)
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


def _answer(result: Any) -> bytes:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        errors = [format_error(e) for e in result.errors]
        for error in errors:
            error["extensions"].pop("errorId", None)
        body["errors"] = errors
    return orjson.dumps(body)


@contextmanager
def record_differences(target: Path) -> Iterator[None]:
    """Run every planned query through both executors; append each difference to ``target``."""
    original = ComposedSchema.execute

    async def execute(self: ComposedSchema, query: Any, *args: Any, **kwargs: Any) -> Any:
        with executed() as outcome:
            result = await original(self, query, *args, **kwargs)
        if outcome.reasons:
            with target.open("ab") as out:
                out.write(orjson.dumps({"query": query, "fallback": outcome.reasons[0]}) + b"\n")
        if outcome.compiled:
            with executed("strawberry"):
                normal = await original(self, query, *args, **kwargs)
            compiled_answer, normal_answer = _answer(result), _answer(normal)
            with target.open("ab") as out:
                line = {"query": query, "same": compiled_answer == normal_answer}
                if not line["same"]:
                    line["compiled"] = compiled_answer.decode()
                    line["strawberry"] = normal_answer.decode()
                out.write(orjson.dumps(line) + b"\n")
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ComposedSchema, "execute", execute)
        yield
