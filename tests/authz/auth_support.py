"""Helpers of the authentication tests: users, sign-in, and clients under other settings."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import func, select

from unicrm.core.app import create_app
from unicrm.core.config import AuthSettings
from unicrm.core.graph.users.services import create_user
from unicrm.core.state import AppState

PASSWORD = "correct horse battery"

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    tokens { accessToken refreshToken tokenType accessTokenExpiresAt refreshTokenExpiresAt }
    errors { field code message }
  }
}
"""

WHO = "{ apiKeys { id } }"


async def make_user(
    state: AppState,
    email: str = "somchai@example.com",
    password: str | None = PASSWORD,
    *,
    departments: tuple[str, ...] = (),
) -> Any:
    async with state.db.transaction() as session:
        return await create_user(
            session,
            email=email,
            display_name=email.split("@")[0].title(),
            password=password,
            departments=departments,
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    path: str = "/graphql",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {**(bearer(token) if token else {}), **(headers or {})}
    return await client.post(
        path, json={"query": query, "variables": variables or {}}, headers=sent
    )


async def login(
    client: httpx.AsyncClient,
    email: str = "somchai@example.com",
    password: str = PASSWORD,
    totp_code: str | None = None,
) -> dict[str, Any]:
    """The body of a ``login`` mutation."""
    variables = {"input": {"email": email, "password": password, "totpCode": totp_code}}
    response = await graphql(client, LOGIN, variables)
    assert response.status_code == 200, response.text
    return response.json()


async def tokens(client: httpx.AsyncClient, email: str = "somchai@example.com") -> dict[str, Any]:
    body = await login(client, email)
    return body["data"]["login"]["tokens"]


async def count(state: AppState, model: Any) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def with_auth(state: AppState, **auth: Any) -> AppState:
    """The same process state and database with other ``auth`` settings."""
    current = state.settings.auth.model_dump()
    settings = state.settings.model_copy(update={"auth": AuthSettings(**{**current, **auth})})
    return dataclasses.replace(state, settings=settings)


@contextlib.asynccontextmanager
async def client_for(state: AppState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(state=state))
    async with httpx.AsyncClient(transport=transport, base_url="http://unicrm.test") as http:
        yield http
