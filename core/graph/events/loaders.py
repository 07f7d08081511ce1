from __future__ import annotations

from unicrm.core.events.ingest_models import CustomEventType
from unicrm.core.events.models import EventDelivery
from unicrm.core.graph.loaders import entities_by, one_per_key

LOADERS = {
    "core.event_delivery_by_id": one_per_key(entities_by(EventDelivery.id)),
    "core.custom_event_type_by_id": one_per_key(entities_by(CustomEventType.id)),
}
