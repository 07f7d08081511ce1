"""The domain events SFA emits, with their payload schemas (docs/sales.md).

Importing this module declares them; ``plugin.py`` imports it when the plugin registers.
"""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from unicrm.core.events.types import register_event_type

_PAYLOAD = ConfigDict(extra="forbid")


@dataclass(config=_PAYLOAD, frozen=True)
class DealCreated:
    deal_id: str
    pipeline_id: str
    stage_id: str
    owner_id: str | None
    source: str


@dataclass(config=_PAYLOAD, frozen=True)
class DealStageChanged:
    """``kind`` is the new stage's: open, won or lost."""

    deal_id: str
    pipeline_id: str
    from_stage_id: str
    to_stage_id: str
    kind: str
    owner_id: str | None
    seconds_in_stage: int
    lost_reason: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class DealAssigned:
    """``kind``: manual, rule or handoff."""

    deal_id: str
    from_owner_id: str | None
    owner_id: str
    kind: str


@dataclass(config=_PAYLOAD, frozen=True)
class QuoteAccepted:
    """``grand_total`` is a decimal string in ``currency``, VAT included."""

    quote_id: str
    deal_id: str
    order_id: str
    grand_total: str
    currency: str


EVENTS: dict[str, type] = {
    "deal.created": DealCreated,
    "deal.stage_changed": DealStageChanged,
    "deal.assigned": DealAssigned,
    "quote.accepted": QuoteAccepted,
}

for _type, _schema in EVENTS.items():
    register_event_type(_type, _schema)
