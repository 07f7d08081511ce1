"""The webhook admin API: endpoints and replays, with bad input rejected and nothing written."""

from __future__ import annotations

import ipaddress
import uuid

import pytest
from sqlalchemy import func, select

from unicrm.core.events.dispatcher import dispatch_once
from unicrm.core.graph.ids import to_global_id
from unicrm.core.webhooks.models import WebhookDelivery, WebhookEndpoint
from unicrm.core.webhooks.secrets import signature_header, verify_signature
from unicrm.core.webhooks.targets import is_public

CREATE = """
mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) {
    endpoint { id url eventTypes description active }
    secret
    errors { field code message }
  }
}
"""

UPDATE = """
mutation($input: WebhookEndpointUpdateInput!) {
  webhookEndpointUpdate(input: $input) {
    endpoint { id url eventTypes description active failureCount disabledReason }
    errors { field code message }
  }
}
"""

DELETE = """
mutation($input: WebhookEndpointDeleteInput!) {
  webhookEndpointDelete(input: $input) { deletedId errors { field code message } }
}
"""

REPLAY = """
mutation($input: WebhookDeliveryReplayInput!) {
  webhookDeliveryReplay(input: $input) { delivery { id } errors { field code message } }
}
"""

ENDPOINTS = """
query($first: Int, $after: String) {
  webhookEndpoints(first: $first, after: $after) {
    nodes { id url eventTypes active }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


async def _count(state, model) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def create(gql, **fields) -> dict:
    data = {"url": "http://127.0.0.1:9/hook", "eventTypes": ["customer.*"], **fields}
    return (await gql(CREATE, {"input": data}))["data"]["webhookEndpointCreate"]


async def test_endpoints_are_created_listed_updated_and_deleted(gql, unicrm_state, hook_settings):
    made = await create(gql, description="  CDP sync  ", eventTypes=["order.placed", "*"])
    assert made["errors"] == []
    endpoint = made["endpoint"]
    assert endpoint["description"] == "CDP sync"
    assert endpoint["eventTypes"] == ["order.placed", "*"]
    await create(gql)
    listed = (await gql(ENDPOINTS, {"first": 1}))["data"]["webhookEndpoints"]
    assert listed["totalCount"] == 2
    assert listed["nodes"][0]["id"] == endpoint["id"]
    assert listed["pageInfo"]["hasNextPage"]
    rest = (await gql(ENDPOINTS, {"after": listed["pageInfo"]["endCursor"]}))["data"]
    assert len(rest["webhookEndpoints"]["nodes"]) == 1

    changed = (
        await gql(
            UPDATE,
            {"input": {"id": endpoint["id"], "active": False, "eventTypes": ["consent.changed"]}},
        )
    )["data"]["webhookEndpointUpdate"]
    assert changed["errors"] == []
    assert changed["endpoint"]["active"] is False
    assert changed["endpoint"]["eventTypes"] == ["consent.changed"]
    assert changed["endpoint"]["description"] == "CDP sync"  # omitted fields stay

    deleted = (await gql(DELETE, {"input": {"id": endpoint["id"]}}))["data"]
    assert deleted["webhookEndpointDelete"] == {"deletedId": endpoint["id"], "errors": []}
    assert await _count(unicrm_state, WebhookEndpoint) == 1


async def test_the_secret_is_never_readable_after_creation(gql, hook_settings):
    made = await create(gql)
    assert made["secret"].startswith("whsec_")
    result = await gql("{ webhookEndpoints { nodes { secret } } }")
    assert "errors" in result  # the type has no secret field at all


async def test_reactivating_a_disabled_endpoint_clears_its_failures(
    gql, unicrm_state, hook_settings
):
    endpoint_id = (await create(gql))["endpoint"]["id"]
    async with unicrm_state.db.transaction() as session:
        row = await session.scalar(select(WebhookEndpoint))
        row.active, row.failure_count, row.disabled_reason = False, 20, "disabled after 20"
    result = (await gql(UPDATE, {"input": {"id": endpoint_id, "active": True}}))["data"]
    endpoint = result["webhookEndpointUpdate"]["endpoint"]
    assert (endpoint["active"], endpoint["failureCount"], endpoint["disabledReason"]) == (
        True,
        0,
        None,
    )


PRIVATE_URLS = (
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
)


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_private_loopback_and_link_local_targets_are_refused(gql, unicrm_state, url):
    made = await create(gql, url=url)
    assert made["endpoint"] is None and made["secret"] is None
    [error] = made["errors"]
    assert (error["field"], error["code"]) == ("url", "PRIVATE_TARGET")
    assert await _count(unicrm_state, WebhookEndpoint) == 0


BAD_CREATE = (
    ({"url": "ftp://example.com/hook"}, "url", "INVALID_URL"),
    ({"url": "not a url"}, "url", "INVALID_URL"),
    ({"url": "https://user:pw@example.com/hook"}, "url", "INVALID_URL"),
    ({"url": "https://example.com:99999/hook"}, "url", "INVALID_URL"),
    ({"url": "https://" + "a" * 2000 + ".com/"}, "url", "TOO_LONG"),
    ({"url": "https://no-such-host.invalid/hook"}, "url", "UNRESOLVABLE"),
    ({"eventTypes": []}, "eventTypes", "REQUIRED"),
    ({"eventTypes": ["customer.created", "Customer Created"]}, "eventTypes.1", "INVALID"),
    ({"eventTypes": ["customer*"]}, "eventTypes.0", "INVALID"),
    ({"description": "x" * 501}, "description", "TOO_LONG"),
)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    BAD_CREATE,
    ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(BAD_CREATE)],
)
async def test_create_rejects_bad_input_and_writes_nothing(
    gql, unicrm_state, hook_settings, fields, field, code
):
    made = await create(gql, **fields)
    assert made["endpoint"] is None and made["secret"] is None
    assert [(e["field"], e["code"]) for e in made["errors"]] == [(field, code)]
    assert await _count(unicrm_state, WebhookEndpoint) == 0


async def test_update_rejects_bad_input_and_changes_nothing(gql, unicrm_state, hook_settings):
    endpoint = (await create(gql))["endpoint"]
    missing = to_global_id("WebhookEndpoint", uuid.UUID(int=1))
    cases = [
        ({"id": "nope"}, "id", "INVALID_ID"),
        ({"id": to_global_id("Customer", uuid.UUID(int=1))}, "id", "INVALID_ID"),
        ({"id": missing}, "id", "NOT_FOUND"),
        ({"id": endpoint["id"], "url": "gopher://x"}, "url", "INVALID_URL"),
        ({"id": endpoint["id"], "url": None}, "url", "REQUIRED"),
        ({"id": endpoint["id"], "eventTypes": None}, "eventTypes", "REQUIRED"),
        ({"id": endpoint["id"], "eventTypes": ["*", "a..b"]}, "eventTypes.1", "INVALID"),
        ({"id": endpoint["id"], "active": None}, "active", "REQUIRED"),
        ({"id": endpoint["id"], "description": "d" * 600}, "description", "TOO_LONG"),
        ({"id": endpoint["id"], "description": "ok", "url": "ftp://x"}, "url", "INVALID_URL"),
    ]
    for data, field, code in cases:
        result = (await gql(UPDATE, {"input": data}))["data"]["webhookEndpointUpdate"]
        assert result["endpoint"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(field, code)], data
    listed = (await gql(ENDPOINTS))["data"]["webhookEndpoints"]["nodes"]
    assert listed == [
        {
            "id": endpoint["id"],
            "url": endpoint["url"],
            "eventTypes": ["customer.*"],
            "active": True,
        }
    ]


async def test_delete_rejects_bad_ids_and_deletes_nothing(gql, unicrm_state, hook_settings):
    await create(gql)
    for bad, code in (
        ("nope", "INVALID_ID"),
        (to_global_id("WebhookEndpoint", uuid.UUID(int=7)), "NOT_FOUND"),
    ):
        result = (await gql(DELETE, {"input": {"id": bad}}))["data"]["webhookEndpointDelete"]
        assert result["deletedId"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("id", code)]
    assert await _count(unicrm_state, WebhookEndpoint) == 1


async def test_replay_rejects_bad_ids_and_disabled_endpoints(
    gql, unicrm_state, receiver, hook_settings
):
    endpoint_id = (await create(gql, url=receiver.url, eventTypes=["*"]))["endpoint"]["id"]
    await gql(
        'mutation { customerCreate(input: {kind: PERSON, firstName: "A"}) { errors { code } } }'
    )
    await dispatch_once(unicrm_state)
    async with unicrm_state.db.session() as session:
        delivery_id = to_global_id(
            "WebhookDelivery", await session.scalar(select(WebhookDelivery.id))
        )
    await gql(UPDATE, {"input": {"id": endpoint_id, "active": False}})
    for bad, code in (
        ("nope", "INVALID_ID"),
        (endpoint_id, "INVALID_ID"),
        (to_global_id("WebhookDelivery", uuid.UUID(int=3)), "NOT_FOUND"),
        (delivery_id, "ENDPOINT_DISABLED"),
    ):
        result = (await gql(REPLAY, {"input": {"id": bad}}))["data"]["webhookDeliveryReplay"]
        assert result["delivery"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("id", code)]
    assert await _count(unicrm_state, WebhookDelivery) == 1


async def test_delivery_filter_rejects_a_bad_endpoint_id(gql, hook_settings):
    result = await gql('query { webhookDeliveries(filter: {endpointId: "nope"}) { nodes { id } } }')
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("fd00::1", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_signatures_expire_after_the_tolerance():
    header = signature_header("whsec_s", b"{}", timestamp=1_000_000)
    assert verify_signature("whsec_s", header, b"{}", now=1_000_100)
    assert not verify_signature("whsec_s", header, b"{}", now=1_000_301)
    assert not verify_signature("whsec_s", "garbage", b"{}")
