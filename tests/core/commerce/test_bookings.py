from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from commerce.support import make_shop, statements_for
from unicrm.core.errors import DomainError
from unicrm.core.graph.bookings.models import (
    Booking,
    BookingHistory,
    BookingKind,
    BookingSlot,
    BookingStatus,
    ResourceKind,
)
from unicrm.core.graph.bookings.services import (
    BookingData,
    ResourceData,
    change_status,
    create_booking,
    mark_no_shows,
    save_resource,
)
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.stores import hours
from unicrm.core.graph.stores.models import StoreStaff
from unicrm.core.graph.users.models import User
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

BANGKOK = ZoneInfo("Asia/Bangkok")

CREATE = """
mutation($input: BookingCreateInput!) {
  bookingCreate(input: $input) {
    booking { id kind status units startsAt endsAt remindAt notes
              resource { name } store { code } customer { displayName }
              history { fromStatus toStatus actor } }
    errors { field code message }
  }
}
"""

STATUS = """
mutation($id: ID!) {
  confirm: bookingConfirm(input: {id: $id}) { booking { status } errors { code } }
}
"""

AVAILABILITY = """
query($resource: ID!, $from: DateTime!, $to: DateTime!) {
  bookingAvailability(resourceId: $resource, from: $from, to: $to) {
    resource { name } slots { startsAt free capacity }
  }
}
"""


def local(days: int, hour: int, minute: int = 0) -> datetime:
    """A Bangkok wall-clock time ``days`` from today."""
    today = datetime.now(BANGKOK).date()
    return datetime.combine(today + timedelta(days=days), time(hour, minute), BANGKOK)


def iso(at: datetime) -> str:
    return at.isoformat()


@pytest.fixture
async def shop(unicrm_state):
    return await make_shop(unicrm_state)


async def add_resource(
    state, store: uuid.UUID, *, capacity: int = 4, kind=ResourceKind.TABLE, bookable=None
) -> uuid.UUID:
    async with state.db.transaction() as session:
        data = ResourceData(
            store_id=store,
            kind=kind,
            name=f"{kind.value} {capacity}",
            capacity=capacity,
            slot_minutes=60,
        )
        if bookable is not None:
            data.bookable_hours = bookable
        return (await save_resource(session, None, data)).id


async def counts(state) -> dict[str, int]:
    async with state.db.session() as session:
        return {
            "bookings": await session.scalar(select(func.count()).select_from(Booking)),
            "history": await session.scalar(select(func.count()).select_from(BookingHistory)),
            "used": await session.scalar(select(func.coalesce(func.sum(BookingSlot.used), 0))),
        }


def booking_input(shop, resource: uuid.UUID, start: datetime, end: datetime, **extra) -> dict:
    return {
        "customerId": to_global_id("Customer", shop.customer),
        "resourceId": to_global_id("BookingResource", resource),
        "kind": "TABLE",
        "startsAt": iso(start),
        "endsAt": iso(end),
        **extra,
    }


async def test_a_booking_takes_its_slots_and_shows_in_availability(gql, unicrm_state, shop):
    table = await add_resource(unicrm_state, shop.stores["BKK-01"])
    start = local(3, 12)
    body = await gql(
        CREATE,
        {
            "input": booking_input(
                shop, table, start, start + timedelta(hours=2), units=3, notes="window seat"
            )
        },
    )
    payload = body["data"]["bookingCreate"]
    assert payload["errors"] == []
    booking = payload["booking"]
    assert (booking["kind"], booking["status"], booking["units"]) == ("TABLE", "REQUESTED", 3)
    assert booking["store"] == {"code": "BKK-01"}
    assert booking["customer"] == {"displayName": "Somchai Jaidee"}
    assert datetime.fromisoformat(booking["remindAt"]) == start - timedelta(days=1)
    assert booking["history"] == [{"fromStatus": None, "toStatus": "REQUESTED", "actor": "admin"}]

    day = local(3, 0)
    body = await gql(
        AVAILABILITY,
        {
            "resource": to_global_id("BookingResource", table),
            "from": iso(day),
            "to": iso(day + timedelta(days=1)),
        },
    )
    (found,) = body["data"]["bookingAvailability"]
    free = {
        datetime.fromisoformat(s["startsAt"]).astimezone(BANGKOK).hour: s["free"]
        for s in found["slots"]
    }
    assert sorted(free) == list(range(10, 22))  # open 10:00-22:00, one-hour slots
    assert free[12] == free[13] == 1
    assert all(n == 4 for h, n in free.items() if h not in (12, 13))


async def test_bad_bookings_are_typed_errors_that_write_nothing(gql, unicrm_state, shop):
    table = await add_resource(unicrm_state, shop.stores["BKK-01"], capacity=2)
    car = await add_resource(unicrm_state, shop.stores["BKK-01"], kind=ResourceKind.DEMO_CAR)
    hour = timedelta(hours=1)
    cases = {
        "IN_THE_PAST": booking_input(shop, table, local(-1, 12), local(-1, 13)),
        "OUTSIDE_HOURS": booking_input(shop, table, local(2, 21), local(2, 23)),
        "MISALIGNED": booking_input(shop, table, local(2, 12, 30), local(2, 13, 30)),
        "KIND_MISMATCH": booking_input(shop, car, local(2, 12), local(2, 12) + hour),
        "INVALID": booking_input(shop, table, local(2, 12), local(2, 13), units=3),
        "NOT_FOUND": booking_input(
            shop,
            table,
            local(2, 12),
            local(2, 13),
            customerId=to_global_id("Customer", uuid.uuid4()),
        ),
    }
    for code, given in cases.items():
        errors = (await gql(CREATE, {"input": given}))["data"]["bookingCreate"]["errors"]
        assert [e["code"] for e in errors] == [code], (code, errors)
    assert await counts(unicrm_state) == {"bookings": 0, "history": 0, "used": 0}

    await gql(CREATE, {"input": booking_input(shop, table, local(2, 13), local(2, 14), units=2)})
    before = await counts(unicrm_state)
    # 12:00 has room, 13:00 is full: the whole booking fails, 12:00 is not taken either.
    full = await gql(CREATE, {"input": booking_input(shop, table, local(2, 12), local(2, 14))})
    errors = full["data"]["bookingCreate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("startsAt", "SLOT_FULL")]
    assert await counts(unicrm_state) == before == {"bookings": 1, "history": 1, "used": 2}


async def test_the_status_flow_keeps_history_and_frees_slots(gql, unicrm_state, shop):
    table = await add_resource(unicrm_state, shop.stores["BKK-01"], capacity=2)
    start = local(2, 18)
    body = await gql(
        CREATE, {"input": booking_input(shop, table, start, start + timedelta(hours=1), units=2)}
    )
    booking_id = body["data"]["bookingCreate"]["booking"]["id"]
    confirmed = await gql(STATUS, {"id": booking_id})
    assert confirmed["data"]["confirm"] == {"booking": {"status": "CONFIRMED"}, "errors": []}
    again = await gql(STATUS, {"id": booking_id})
    assert again["data"]["confirm"]["errors"] == [{"code": "INVALID_TRANSITION"}]
    early = await gql(
        "mutation($id: ID!) { bookingMarkNoShow(input: {id: $id}) { errors { code } } }",
        {"id": booking_id},
    )
    assert early["data"]["bookingMarkNoShow"]["errors"] == [{"code": "TOO_EARLY"}]
    cancelled = await gql(
        """mutation($id: ID!) { bookingCancel(input: {id: $id}) {
          booking { status history { fromStatus toStatus } } errors { code } } }""",
        {"id": booking_id},
    )
    assert cancelled["data"]["bookingCancel"]["booking"] == {
        "status": "CANCELLED",
        "history": [
            {"fromStatus": None, "toStatus": "REQUESTED"},
            {"fromStatus": "REQUESTED", "toStatus": "CONFIRMED"},
            {"fromStatus": "CONFIRMED", "toStatus": "CANCELLED"},
        ],
    }
    assert (await counts(unicrm_state))["used"] == 0
    for mutation in ("bookingCancel", "bookingCheckIn"):
        again = await gql(
            f"mutation($id: ID!) {{ {mutation}(input: {{id: $id}}) {{ errors {{ code }} }} }}",
            {"id": booking_id},
        )
        assert again["data"][mutation]["errors"] == [{"code": "INVALID_TRANSITION"}]
    assert (await counts(unicrm_state))["history"] == 3
    retaken = await gql(
        CREATE, {"input": booking_input(shop, table, start, start + timedelta(hours=1), units=2)}
    )
    assert retaken["data"]["bookingCreate"]["errors"] == []


async def test_check_in_and_the_no_show_job(unicrm_state, shop):
    table = await add_resource(unicrm_state, shop.stores["BKK-01"])
    now = datetime.now(UTC)
    start = local(0, 10) if now.astimezone(BANGKOK).hour >= 12 else local(-1, 20)
    booked_at = start - timedelta(hours=1)
    ids = []
    for _ in range(3):
        async with unicrm_state.db.transaction() as session:
            data = BookingData(
                shop.customer, table, BookingKind.TABLE, start, start + timedelta(hours=1)
            )
            booking = await create_booking(session, data, now=booked_at)
            await change_status(session, booking.id, BookingStatus.CONFIRMED, now=booked_at)
            ids.append(booking.id)
    async with unicrm_state.db.transaction() as session:
        arrived = await change_status(
            session, ids[0], BookingStatus.CHECKED_IN, now=start + timedelta(minutes=5)
        )
        assert arrived.status is BookingStatus.CHECKED_IN
    async with unicrm_state.db.transaction() as session:
        late = start + timedelta(hours=1)
        with pytest.raises(DomainError) as refused:
            await change_status(session, ids[1], BookingStatus.CHECKED_IN, now=late)
        assert refused.value.errors[0].code == "TOO_LATE"
    async with unicrm_state.db.transaction() as session:
        assert await mark_no_shows(session, timedelta(minutes=30)) == 2
    async with unicrm_state.db.transaction() as session:
        assert await mark_no_shows(session, timedelta(minutes=30)) == 0
    async with unicrm_state.db.session() as session:
        statuses = [(await session.get(Booking, i)).status for i in ids]
        used = await session.scalar(select(func.sum(BookingSlot.used)))
        last = await session.scalar(
            select(BookingHistory)
            .where(BookingHistory.booking_id == ids[1])
            .order_by(BookingHistory.changed_at.desc())
            .limit(1)
        )
    assert statuses == [BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW, BookingStatus.NO_SHOW]
    assert used == 1  # the no-shows gave their seats back
    assert (last.to_status, last.actor, last.changed_by) == (BookingStatus.NO_SHOW, None, None)


async def test_the_no_show_job_is_scheduled_and_marks_late_confirmed_bookings(unicrm_state, shop):
    job_type = unicrm_state.registry.job_types["core.bookings_no_show"]
    schedule = unicrm_state.registry.schedules["core.bookings_no_show"]
    assert (schedule.cron, schedule.args) == ("*/5 * * * *", {"after_minutes": 30})
    table = await add_resource(unicrm_state, shop.stores["BKK-01"])
    start = local(-1, 20)
    async with unicrm_state.db.transaction() as session:
        data = BookingData(
            shop.customer, table, BookingKind.TABLE, start, start + timedelta(hours=1)
        )
        booking = await create_booking(session, data, now=start - timedelta(days=2))
        await change_status(
            session, booking.id, BookingStatus.CONFIRMED, now=start - timedelta(days=1)
        )
    run = JobRun(uuid.uuid4(), job_type.name, schedule.args, 1, job_type.max_attempts, None)
    for _ in range(2):  # a retried run changes nothing more
        async with unicrm_state.db.transaction() as session:
            await job_type.handler(run, session)
    async with unicrm_state.db.session() as session:
        assert (await session.get(Booking, booking.id)).status is BookingStatus.NO_SHOW
    assert await counts(unicrm_state) == {"bookings": 1, "history": 3, "used": 0}


async def test_concurrent_bookings_for_the_last_seats_admit_exactly_the_capacity(
    unicrm_state, shop
):
    table = await add_resource(unicrm_state, shop.stores["BKK-01"], capacity=3)
    start = local(2, 19)
    async with unicrm_state.db.transaction() as session:
        customers = [
            (
                await create_customer(
                    session, CustomerData(kind=CustomerKind.PERSON, first_name=f"Guest{i}")
                )
            ).id
            for i in range(10)
        ]

    async def book(customer: uuid.UUID) -> bool:
        data = BookingData(customer, table, BookingKind.TABLE, start, start + timedelta(hours=2))
        try:
            async with unicrm_state.db.transaction() as session:
                await create_booking(session, data)
        except DomainError as error:
            assert error.errors[0].code == "SLOT_FULL"
            return False
        return True

    admitted = await asyncio.gather(*(book(c) for c in customers))
    assert sum(admitted) == 3
    async with unicrm_state.db.session() as session:
        used = (
            await session.scalars(select(BookingSlot.used).order_by(BookingSlot.starts_at))
        ).all()
    assert used == [3, 3]
    assert (await counts(unicrm_state))["bookings"] == 3


async def test_overnight_hours_take_bookings_after_midnight(unicrm_state, shop):
    friday_night = [hours.Interval(4, "18:00", "02:00")]
    bar = await add_resource(unicrm_state, shop.stores["BKK-01"], bookable=friday_night)
    today = datetime.now(BANGKOK).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7 + 7)
    after_midnight = datetime.combine(friday + timedelta(days=1), time(1), BANGKOK)
    async with unicrm_state.db.transaction() as session:
        booking = await create_booking(
            session,
            BookingData(
                shop.customer,
                bar,
                BookingKind.TABLE,
                after_midnight,
                after_midnight + timedelta(hours=1),
            ),
        )
    assert booking.status is BookingStatus.REQUESTED
    with pytest.raises(DomainError) as closed:
        async with unicrm_state.db.transaction() as session:
            await create_booking(
                session,
                BookingData(
                    shop.customer,
                    bar,
                    BookingKind.TABLE,
                    after_midnight + timedelta(hours=1),
                    after_midnight + timedelta(hours=2),
                ),
            )
    assert closed.value.errors[0].code == "OUTSIDE_HOURS"


async def test_store_staff_book_and_check_in_only_at_their_store(gql, unicrm_state, shop):
    token = await sign_in_as(unicrm_state, "till@unicrm.test", "store_staff")
    async with unicrm_state.db.transaction() as session:
        staff = await session.scalar(select(User.id).where(User.email == "till@unicrm.test"))
        session.add(StoreStaff(store_id=shop.stores["BKK-01"], user_id=staff))
    mine = await add_resource(unicrm_state, shop.stores["BKK-01"])
    theirs = await add_resource(unicrm_state, shop.stores["CNX-01"])
    start = local(2, 15)
    other = await gql(
        CREATE, {"input": booking_input(shop, theirs, start, start + timedelta(hours=1))}
    )
    assert other["data"]["bookingCreate"]["errors"] == []
    create = """mutation($input: BookingCreateInput!) {
      bookingCreate(input: $input) { booking { id store { code } } errors { field code } } }"""
    async with client_for(unicrm_state, token) as http:

        async def ask(query: str, variables: dict | None = None) -> dict:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables or {}}
            )
            return response.json()

        own = await ask(
            create, {"input": booking_input(shop, mine, start, start + timedelta(hours=1))}
        )
        denied = await ask(
            create, {"input": booking_input(shop, theirs, start, start + timedelta(hours=1))}
        )
        listed = await ask("{ bookings { totalCount edges { node { store { code } } } } }")
        confirmed = await ask(STATUS, {"id": own["data"]["bookingCreate"]["booking"]["id"]})
        foreign = await ask(STATUS, {"id": other["data"]["bookingCreate"]["booking"]["id"]})
    assert own["data"]["bookingCreate"]["errors"] == []
    assert denied["data"]["bookingCreate"]["errors"] == [
        {"field": "resourceId", "code": "NOT_FOUND"}
    ]
    assert listed["data"]["bookings"]["totalCount"] == 1
    assert listed["data"]["bookings"]["edges"] == [{"node": {"store": {"code": "BKK-01"}}}]
    assert confirmed["data"]["confirm"]["booking"] == {"status": "CONFIRMED"}
    assert foreign["data"]["confirm"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_resources_are_validated(gql, unicrm_state, shop):
    query = """mutation($input: BookingResourceCreateInput!) {
      bookingResourceCreate(input: $input) {
        resource { id name capacity slotMinutes bookableHours { weekday opens closes } }
        errors { field code } } }"""
    store = to_global_id("Store", shop.stores["BKK-01"])
    bad = await gql(
        query,
        {
            "input": {
                "storeId": store,
                "kind": "TABLE",
                "name": " ",
                "capacity": 0,
                "slotMinutes": 2,
            }
        },
    )
    assert {(e["field"], e["code"]) for e in bad["data"]["bookingResourceCreate"]["errors"]} == {
        ("name", "REQUIRED"),
        ("capacity", "INVALID"),
        ("slotMinutes", "INVALID"),
    }
    good = await gql(
        query,
        {
            "input": {
                "storeId": store,
                "kind": "SERVICE_BAY",
                "name": "Bay 1",
                "capacity": 1,
                "slotMinutes": 30,
                "bookableHours": [{"weekday": "MONDAY", "opens": "08:00", "closes": "17:00"}],
            }
        },
    )
    assert good["data"]["bookingResourceCreate"] == {
        "resource": {
            "id": good["data"]["bookingResourceCreate"]["resource"]["id"],
            "name": "Bay 1",
            "capacity": 1,
            "slotMinutes": 30,
            "bookableHours": [{"weekday": "MONDAY", "opens": "08:00", "closes": "17:00"}],
        },
        "errors": [],
    }
    listed = await gql(
        "query($s: ID!) { bookingResources(storeId: $s) { name kind } }", {"s": store}
    )
    assert listed["data"]["bookingResources"] == [{"name": "Bay 1", "kind": "SERVICE_BAY"}]

    resource = good["data"]["bookingResourceCreate"]["resource"]["id"]
    update = """mutation($input: BookingResourceUpdateInput!) {
      bookingResourceUpdate(input: $input) { resource { capacity active } errors { field code } } }"""
    refused = await gql(update, {"input": {"id": resource, "capacity": 0, "active": False}})
    assert refused["data"]["bookingResourceUpdate"]["errors"] == [
        {"field": "capacity", "code": "INVALID"}
    ]
    changed = await gql(update, {"input": {"id": resource, "capacity": 2}})
    assert changed["data"]["bookingResourceUpdate"]["resource"] == {"capacity": 2, "active": True}


PAGE = """{ customers(first: 50) { edges { node { bookings(limit: 3) { startsAt status } } } } }"""


async def test_customer_bookings_cost_no_statement_per_row(gql, unicrm_state, shop):
    table = await add_resource(unicrm_state, shop.stores["BKK-01"], capacity=100)

    async def seed(n: int) -> None:
        async with unicrm_state.db.transaction() as session:
            for i in range(n):
                customer = await create_customer(
                    session, CustomerData(kind=CustomerKind.PERSON, first_name=f"G{i}")
                )
                start = local(2, 10 + i % 10)
                await create_booking(
                    session,
                    BookingData(
                        customer.id, table, BookingKind.TABLE, start, start + timedelta(hours=1)
                    ),
                )

    await seed(2)
    small, _ = await statements_for(unicrm_state, gql, PAGE)
    await seed(15)
    large, body = await statements_for(unicrm_state, gql, PAGE)
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    assert sum(len(n["bookings"]) for n in nodes) == 17
    assert large == small
