"""Helpers of the lead, team and notification tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import func, select

from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.state import AppState
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as


async def person(state: AppState, name: str, owner: uuid.UUID | None = None) -> str:
    async with state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name=name, owner_id=owner)
        )
    return to_global_id("Customer", row.id)


async def count(state: AppState, model: Any, *where: Any) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


class Staff:
    """A signed-in member of staff with one role: their client and their user id."""

    def __init__(self, http: httpx.AsyncClient, pk: uuid.UUID) -> None:
        self.http = http
        self.pk = pk
        self.gid = to_global_id("User", pk)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        assert response.status_code == 200, response.text
        return response.json()


@asynccontextmanager
async def staff(state: AppState, email: str, role: str) -> AsyncIterator[Staff]:
    token = await sign_in_as(state, email, role)
    async with client_for(state, token) as http:
        body = (await http.post("/graphql", json={"query": "{ viewer { id } }"})).json()
        yield Staff(http, from_global_id(body["data"]["viewer"]["id"])[1])


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]
