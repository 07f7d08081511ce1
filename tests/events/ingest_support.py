"""Helpers of the custom event tests: an integration's API key, a registered type."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from unicrm.core.authz.admin import Editor, PolicyAdmin
from unicrm.core.authz.apikeys import create_api_key
from unicrm.core.authz.store import load_policies
from unicrm.core.state import AppState
from unicrm.core.testing.pytest_plugin import client_for

CART_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "cart_value": {"type": "number", "minimum": 0},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}},
                "required": ["sku"],
            },
        },
    },
    "required": ["cart_value"],
    "additionalProperties": False,
}

CREATE_TYPE = """
mutation($input: CustomEventTypeCreateInput!) {
  customEventTypeCreate(input: $input) {
    eventType { id name description schema version active createdBy }
    errors { field code message }
  }
}
"""


async def api_key(state: AppState, role: str = "event_source", name: str = "Web shop") -> str:
    async with state.db.transaction() as session:
        created = await create_api_key(
            session,
            name=name,
            department=state.settings.default_department,
            role=role,
            created_by=None,
            admin=PolicyAdmin(state, Editor("system")),
        )
    await load_policies(state)
    return created.key


@contextlib.asynccontextmanager
async def integration(
    state: AppState, role: str = "event_source"
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of ``state``'s app authenticated with a new API key holding ``role``."""
    async with client_for(state, await api_key(state, role)) as http:
        yield http


async def register_type(gql: Any, name: str, schema: dict[str, Any] | None = None) -> dict:
    body = await gql(CREATE_TYPE, {"input": {"name": name, "schema": schema or CART_SCHEMA}})
    payload = body["data"]["customEventTypeCreate"]
    assert payload["errors"] == [], payload
    return payload["eventType"]


def event(customer: dict[str, Any], key: str, **fields: Any) -> dict[str, Any]:
    """A ``shop.cart_abandoned`` event with a valid payload unless ``fields`` say otherwise."""
    return {
        "type": "shop.cart_abandoned",
        "customer": customer,
        "occurredAt": "2026-11-20T10:15:00+07:00",
        "idempotencyKey": key,
        "payload": {"cart_value": 1250.5, "items": [{"sku": "TEA-01", "quantity": 2}]},
        **fields,
    }
