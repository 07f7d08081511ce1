from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key
from unicrm.core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

LOADERS = {
    "core.webhook_endpoint_by_id": one_per_key(entities_by(WebhookEndpoint.id)),
    "core.webhook_delivery_by_id": one_per_key(entities_by(WebhookDelivery.id)),
    "core.webhook_attempts_by_delivery": many_per_key(
        entities_by(WebhookAttempt.delivery_id, WebhookAttempt.attempted_at, WebhookAttempt.id)
    ),
}
