"""The domain events MA emits, declared with their payload schemas when MA is loaded."""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from unicrm.core.events.types import register_event_type

_PAYLOAD = ConfigDict(extra="forbid")


@dataclass(config=_PAYLOAD, frozen=True)
class FormSubmitted:
    """A web form was submitted and accepted (``form``: its key)."""

    form: str
    submission_id: str
    lead_outcome: str
    consents: list[str]


@dataclass(config=_PAYLOAD, frozen=True)
class LeadQualified:
    """A lead score crossed its model's qualifying threshold: hand the lead to sales."""

    model: str
    score: int
    threshold: int
    lead_id: str | None
    reasons: list[str]


EVENT_TYPES: dict[str, type] = {
    "ma.form_submitted": FormSubmitted,
    "ma.lead_qualified": LeadQualified,
}


def declare() -> None:
    """Register MA's payload types (idempotent: the same schema may be declared again)."""
    for event_type, schema in EVENT_TYPES.items():
        register_event_type(event_type, schema)


declare()
