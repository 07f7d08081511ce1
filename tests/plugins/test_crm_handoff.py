"""Technician hand-off: a visit booked through core bookings inside the customer's preferred
window, the customer told on a channel the contact policy allows, progress and the visit
report seen on the case; past, overlapping and out-of-window slots refused, nothing written."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.lead_support import count
from sqlalchemy import select

from plugins.crm_support import OPEN, codes, gid, team
from plugins.support import customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.graph.bookings.models import Booking, ResourceKind
from unicrm.core.graph.bookings.services import ResourceData, save_resource
from unicrm.core.graph.contacts.services import add_email
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.stores import hours
from unicrm.core.graph.stores.services import StoreData, create_store
from unicrm.core.messaging.models import Message
from unicrm.core.messaging.services import TemplateData, create_template
from unicrm.plugins.crm.models import Case, CaseStatus, TechnicianVisit

BANGKOK = ZoneInfo("Asia/Bangkok")
ESCALATE = """mutation($input: CaseEscalateInput!) { caseEscalate(input: $input) {
    errors { field code message }
    visit { id status customerNotifiedBy team { name } booking { id }
            case { status team { name } } } } }"""
UPDATE = """mutation($input: TechnicianVisitUpdateInput!) { technicianVisitUpdate(input: $input) {
    errors { field code } visit { status report } } }"""
NOTICE = TemplateData(
    key="crm.visit_scheduled",
    channel="email",
    locale="th",
    subject="Technician visit",
    text_body="Our technician comes on {{ date }} at {{ starts_at }} about {{ case_subject }}.",
    variables=("case_subject", "date", "starts_at"),
)


async def _setup(state, email: str | None = "malee@example.com") -> tuple[uuid.UUID, uuid.UUID]:
    """A customer and a technician bookable every day 08:00-20:00 in one-hour slots."""
    async with state.db.transaction() as session:
        store = await create_store(
            session,
            StoreData(
                code=f"S-{uuid.uuid4().hex[:6]}",
                name="Service centre",
                line1="1 Rama I Rd",
                province="Bangkok",
                postal_code="10330",
                opening_hours=[hours.Interval(d, "08:00", "20:00") for d in range(7)],
            ),
            "Asia/Bangkok",
        )
        resource = await save_resource(
            session,
            None,
            ResourceData(
                store_id=store.id,
                kind=ResourceKind.TECHNICIAN,
                name="Technician Somsak",
                capacity=1,
                slot_minutes=60,
            ),
        )
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Malee")
        )
        if email:
            await add_email(session, customer.id, email, is_primary=True)
    return customer.id, resource.id


def _tomorrow(hour: int) -> datetime:
    day = utcnow().astimezone(BANGKOK).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=BANGKOK)


def _input(case_id: str, team_id: uuid.UUID, resource: uuid.UUID, start: int, end: int, **extra):
    return {
        "input": {
            "caseId": case_id,
            "teamId": gid("Team", team_id),
            "resourceId": gid("BookingResource", resource),
            "startsAt": _tomorrow(start).isoformat(),
            "endsAt": _tomorrow(end).isoformat(),
            "preferredFrom": _tomorrow(9).isoformat(),
            "preferredUntil": _tomorrow(13).isoformat(),
            **extra,
        }
    }


async def _open_case(gql, customer) -> str:
    variables = {
        "input": {
            "customerId": customer_gid(customer),
            "subject": "No internet",
            "channel": "PHONE",
        }
    }
    return (await gql(OPEN, variables))["data"]["caseOpen"]["case"]["id"]


async def test_escalation_books_the_technician_and_tells_the_customer(gql, unicrm_state):
    state = unicrm_state
    customer, resource = await _setup(state)
    async with state.db.transaction() as session:
        await create_template(session, NOTICE)
    technicians = await team(state, "Field technicians", [])
    case_id = await _open_case(gql, customer)

    payload = (await gql(ESCALATE, _input(case_id, technicians, resource, 10, 12)))["data"][
        "caseEscalate"
    ]

    assert payload["errors"] == []
    visit = payload["visit"]
    assert visit["status"] == "SCHEDULED"
    assert visit["team"] == {"name": "Field technicians"}
    assert visit["case"] == {"status": "PENDING_INTERNAL", "team": {"name": "Field technicians"}}
    assert visit["customerNotifiedBy"] == "email"
    async with state.db.session() as session:
        booking = await session.scalar(select(Booking))
        message = await session.scalar(select(Message))
    assert booking.starts_at == _tomorrow(10)
    assert booking.status.value == "confirmed"
    assert message.template_key == "crm.visit_scheduled"
    assert message.customer_id == customer

    for status in ("EN_ROUTE", "IN_PROGRESS"):
        step = (await gql(UPDATE, {"input": {"id": visit["id"], "status": status}}))["data"]
        assert step["technicianVisitUpdate"]["visit"]["status"] == status
    no_report = (await gql(UPDATE, {"input": {"id": visit["id"], "status": "DONE"}}))["data"]
    assert codes(no_report["technicianVisitUpdate"]) == [("report", "REQUIRED")]
    done = (
        await gql(
            UPDATE,
            {"input": {"id": visit["id"], "status": "DONE", "report": "Replaced the router."}},
        )
    )["data"]["technicianVisitUpdate"]
    assert done["visit"] == {"status": "DONE", "report": "Replaced the router."}
    back = (await gql(UPDATE, {"input": {"id": visit["id"], "status": "EN_ROUTE"}}))["data"]
    assert codes(back["technicianVisitUpdate"]) == [("status", "INVALID_TRANSITION")]

    seen = await gql(
        "query($id: ID!) { case(id: $id) { visits { status report } messages { kind body } } }",
        {"id": case_id},
    )
    case = seen["data"]["case"]
    assert case["visits"] == [{"status": "DONE", "report": "Replaced the router."}]
    assert case["messages"][-1] == {
        "kind": "NOTE",
        "body": "Technician visit done: Replaced the router.",
    }


async def test_bad_slots_book_nothing(gql, unicrm_state):
    state = unicrm_state
    customer, resource = await _setup(state, email=None)
    technicians = await team(state, "Field technicians", [])
    case_id = await _open_case(gql, customer)
    first = (await gql(ESCALATE, _input(case_id, technicians, resource, 10, 11)))["data"][
        "caseEscalate"
    ]
    assert first["errors"] == []
    assert first["visit"]["customerNotifiedBy"] is None  # no channel the customer can get
    other = await _open_case(gql, customer)
    yesterday = (_tomorrow(10) - timedelta(days=2)).isoformat()

    for variables, expected in (
        (_input(other, technicians, resource, 10, 11), [("startsAt", "SLOT_FULL")]),
        (_input(other, technicians, resource, 12, 14), [("startsAt", "OUTSIDE_PREFERRED_WINDOW")]),
        (
            _input(
                other, technicians, resource, 10, 11,
                startsAt=yesterday, preferredFrom=yesterday,
            ),
            [("startsAt", "IN_THE_PAST")],
        ),
        (
            _input(other, technicians, resource, 11, 12, preferredUntil=_tomorrow(8).isoformat()),
            [("preferredUntil", "INVALID")],
        ),
    ):  # fmt: skip
        payload = (await gql(ESCALATE, variables))["data"]["caseEscalate"]
        assert codes(payload) == expected
        assert payload["visit"] is None

    assert await count(state, TechnicianVisit) == 1
    assert await count(state, Booking) == 1
    async with state.db.session() as session:
        untouched = await session.scalar(select(Case.status).where(Case.team_id.is_(None)))
    assert untouched is CaseStatus.NEW  # the other case was not handed off
