"""A custom event pushed over POST /events reaches the webhooks subscribed to its type."""

from __future__ import annotations

import orjson
from events.ingest_support import event, integration, register_type

from unicrm.core.events.dispatcher import dispatch_once
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.webhooks.secrets import verify_signature
from webhooks.test_webhook_delivery import register


async def test_a_pushed_custom_event_is_posted_to_a_subscribed_endpoint(
    gql, unicrm_state, receiver, hook_settings
):
    await register_type(gql, "shop.cart_abandoned")
    _, secret = await register(gql, receiver.url, ["shop.*"])
    async with unicrm_state.db.transaction() as session:
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Nok")
        )

    async with integration(unicrm_state) as http:
        response = await http.post("/events", json=event({"id": str(customer.id)}, "cart-1"))
    [result] = response.json()["results"]
    await dispatch_once(unicrm_state)

    [request] = receiver.requests
    assert verify_signature(secret, request.headers["unicrm-signature"], request.body)
    body = orjson.loads(request.body)
    assert (body["id"], body["type"], body["customer_id"]) == (
        result["id"],
        "shop.cart_abandoned",
        to_global_id("Customer", customer.id),
    )
    assert body["data"] == {
        "occurred_at": "2026-11-20T10:15:00+07:00",
        "data": {"cart_value": 1250.5, "items": [{"sku": "TEA-01", "quantity": 2}]},
    }
