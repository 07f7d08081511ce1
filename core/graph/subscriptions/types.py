from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.events.outbox import Event
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.plan import direct


def _occurred_at(event: Event) -> datetime:
    assert event.created_at is not None  # every dispatched event was committed with one
    return event.created_at


@guard("core.customer")
@strawberry.type(
    name="CustomerEvent",
    description="A domain event about a customer the subscriber may see.",
)
class CustomerEvent:
    event_id: strawberry.ID = strawberry.field(
        description="The event's id: the same in webhooks and event deliveries."
    )
    type: str = strawberry.field(description="What happened, e.g. customer.updated.")
    occurred_at: datetime
    customer_pk: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, event: Event) -> CustomerEvent:
        assert event.customer_id is not None
        return cls(
            event_id=strawberry.ID(str(event.id)),
            type=event.type,
            occurred_at=_occurred_at(event),
            customer_pk=event.customer_id,
        )

    @strawberry.field(description="The customer, as it is now; null once erased or merged away.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)


@guard("core.event")
@strawberry.type(
    name="DomainEvent",
    description="A domain event as webhooks deliver it, for integrations.",
)
class DomainEvent:
    event_id: strawberry.ID = strawberry.field(description="The event's id.")
    type: str
    occurred_at: datetime
    customer_id: strawberry.ID | None = strawberry.field(
        description="The global id of the customer it is about, if any."
    )
    actor: str | None = strawberry.field(description="Who caused it, when known.")
    payload: JSON = strawberry.field(description="The event type's documented payload.")

    @classmethod
    def of(cls, event: Event) -> DomainEvent:
        customer = event.customer_id
        return cls(
            event_id=strawberry.ID(str(event.id)),
            type=event.type,
            occurred_at=_occurred_at(event),
            customer_id=strawberry.ID(to_global_id("Customer", customer)) if customer else None,
            actor=event.actor,
            payload=event.payload,
        )
