"""The domain events of customer service, declared with their payloads (docs/service.md).

Imported by the services that emit them, so the types are declared before any emit.
"""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from unicrm.core.events.types import register_event_type

_PAYLOAD = ConfigDict(extra="forbid")

CASE_OPENED = "crm.case_opened"
CASE_STATUS_CHANGED = "crm.case_status_changed"
CASE_ASSIGNED = "crm.case_assigned"
CASE_ESCALATED = "crm.case_escalated"
VISIT_STATUS_CHANGED = "crm.visit_status_changed"
SURVEY_ANSWERED = "crm.survey_answered"
SLA_WARNING = "crm.sla_warning"
SLA_BREACHED = "crm.sla_breached"
CASE_MERGED = "crm.case_merged"
NPS_ANSWERED = "crm.nps_answered"
CUSTOMER_LAPSED = "crm.customer_lapsed"


@dataclass(config=_PAYLOAD, frozen=True)
class CaseOpened:
    case_id: str
    channel: str
    priority: str
    category: str | None
    team_id: str | None
    assignee_id: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class CaseStatusChanged:
    case_id: str
    from_status: str
    to_status: str


@dataclass(config=_PAYLOAD, frozen=True)
class CaseAssigned:
    case_id: str
    team_id: str | None
    assignee_id: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class CaseMerged:
    """A duplicate case merged into the survivor (``into_case_id``) and closed."""

    case_id: str
    into_case_id: str
    moved_messages: int


@dataclass(config=_PAYLOAD, frozen=True)
class NpsAnswered:
    """A customer's NPS answer; ``group``: promoter, passive or detractor."""

    score: int
    group: str


@dataclass(config=_PAYLOAD, frozen=True)
class CustomerLapsed:
    """The customer stopped buying (no order for the win-back period): win them back."""

    last_order_at: str
    orders: int
    historic_value: str
    currency: str


@dataclass(config=_PAYLOAD, frozen=True)
class SlaAlert:
    """A target (``first_response`` or ``resolution``) about to be missed, or missed."""

    case_id: str
    target: str
    due_at: str
    team_id: str | None
    assignee_id: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class CaseEscalated:
    """A case handed off to a technician team with a booked visit."""

    case_id: str
    visit_id: str
    booking_id: str
    team_id: str
    starts_at: str
    ends_at: str


@dataclass(config=_PAYLOAD, frozen=True)
class VisitStatusChanged:
    case_id: str
    visit_id: str
    status: str


@dataclass(config=_PAYLOAD, frozen=True)
class SurveyAnswered:
    case_id: str
    kind: str
    score: int


register_event_type(CASE_OPENED, CaseOpened)
register_event_type(CASE_STATUS_CHANGED, CaseStatusChanged)
register_event_type(CASE_ASSIGNED, CaseAssigned)
register_event_type(SLA_WARNING, SlaAlert)
register_event_type(SLA_BREACHED, SlaAlert)
register_event_type(CASE_ESCALATED, CaseEscalated)
register_event_type(VISIT_STATUS_CHANGED, VisitStatusChanged)
register_event_type(SURVEY_ANSWERED, SurveyAnswered)
register_event_type(CASE_MERGED, CaseMerged)
register_event_type(NPS_ANSWERED, NpsAnswered)
register_event_type(CUSTOMER_LAPSED, CustomerLapsed)
