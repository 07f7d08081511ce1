"""Core's demo of the shared domain around the demo customers: the stores their orders name,
with a bookable table each; a field sales team; open leads (Cold, Warm, Hot) owned by the
demo field sales rep; saved segments; and the booking reminder templates.

Called by core's ``seed_demo_data`` after the customers exist. Everything goes through the
domain services, and a second demo load adds to what is there without duplicating stores,
templates, the team or the segments.
"""

from __future__ import annotations

import random
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.bookings.models import ResourceKind
from unicrm.core.graph.bookings.reminders import TEMPLATE as REMINDER_TEMPLATE
from unicrm.core.graph.bookings.services import ResourceData, save_resource
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.customers.services import CustomerData, update_customer
from unicrm.core.graph.leads.models import Lead, LeadSource, LeadTemperature
from unicrm.core.graph.leads.services import LeadData, create_lead
from unicrm.core.graph.stores import hours
from unicrm.core.graph.stores.models import Store
from unicrm.core.graph.stores.services import StoreData, create_store
from unicrm.core.graph.teams.models import Team
from unicrm.core.graph.teams.services import TeamData, create_team
from unicrm.core.graph.users.models import User
from unicrm.core.messaging.models import MessageTemplate
from unicrm.core.messaging.services import TemplateData, create_template
from unicrm.core.segments.compile import Catalog
from unicrm.core.segments.models import Segment
from unicrm.core.segments.services import SegmentData, create_segment

ZONE = "Asia/Bangkok"
STORES = (
    ("BKK-SIAM", "Siam Square", "Rama I Rd", "Bangkok", "10330"),
    ("BKK-SILOM", "Silom", "Silom Rd", "Bangkok", "10500"),
    ("CNX-NIMMAN", "Nimman", "Nimmanhaemin Rd", "Chiang Mai", "50200"),
    ("HKT-PATONG", "Patong", "Thaweewong Rd", "Phuket", "83150"),
)
"""The stores demo orders are placed at (``core.demo.STORES``): code, name, street, province,
postal code."""
OPEN_EVERY_DAY = tuple(hours.Interval(day, "10:00", "22:00") for day in range(7))
FIELD_SALES = "sales@demo.unicrm.app"
LEAD_SHARE = 3
"""One person in three is an open lead."""
SEGMENTS = (
    ("Hot leads", {"field": "lead.temperature", "op": "EQ", "value": "hot"}),
    ("Spent ฿1,000 or more", {"field": "orders.total_spend", "op": "GTE", "value": "1000"}),
)
REMINDERS = (
    TemplateData(
        key=REMINDER_TEMPLATE,
        channel="email",
        locale="th",
        subject="นัดหมายของคุณที่ {{ booking.store }}",
        text_body="คุณ{{ customer.first_name }} เราพร้อมต้อนรับคุณที่ {{ booking.store }} "
        "({{ booking.resource }}) เวลา {{ booking.starts_at }}",
        variables=("booking",),
    ),
    TemplateData(
        key=REMINDER_TEMPLATE,
        channel="email",
        locale="en",
        subject="See you at {{ booking.store }}",
        text_body="Dear {{ customer.first_name }}, your {{ booking.kind }} at "
        "{{ booking.store }} ({{ booking.resource }}) starts {{ booking.starts_at }}.",
        variables=("booking",),
    ),
)


async def _stores(session: AsyncSession) -> None:
    existing = set(await session.scalars(select(Store.code)))
    for code, name, street, province, postal_code in STORES:
        if code in existing:
            continue
        store = await create_store(
            session,
            StoreData(
                code=code,
                name=name,
                line1=f"1 {street}",
                province=province,
                postal_code=postal_code,
                opening_hours=OPEN_EVERY_DAY,
            ),
            ZONE,
        )
        table = ResourceData(
            store_id=store.id,
            kind=ResourceKind.TABLE,
            name="Table for four",
            capacity=4,
            slot_minutes=60,
        )
        await save_resource(session, None, table)


async def _templates(session: AsyncSession) -> None:
    present = set(
        (await session.execute(select(MessageTemplate.key, MessageTemplate.locale))).all()
    )
    for template in REMINDERS:
        if (template.key, template.locale) not in present:
            await create_template(session, template)


async def _team(session: AsyncSession, department_id: uuid.UUID, rep: uuid.UUID | None) -> None:
    name = "Bangkok field sales"
    found = await session.scalar(select(Team.id).where(Team.name == name))
    if found is None and rep is not None:
        data = TeamData(
            department_id=department_id,
            name=name,
            manager_id=rep,
            territories=("central", "east"),
            member_ids=(rep,),
        )
        await create_team(session, data)


async def _leads(session: AsyncSession, rng: random.Random, rep: uuid.UUID | None) -> None:
    """Open leads for one person in three without one, owned (with the customer) by the
    demo field sales rep, so signing in as that rep shows a book of work."""
    people = await session.scalars(
        select(Customer.id)
        .where(
            Customer.kind == CustomerKind.PERSON,
            ~select(Lead.id).where(Lead.customer_id == Customer.id).exists(),
        )
        .order_by(Customer.id)
    )
    for n, customer_id in enumerate(list(people)):
        if n % LEAD_SHARE:
            continue
        if rep is not None:
            await update_customer(session, customer_id, CustomerData(owner_id=rep))
        lead = LeadData(
            customer_id,
            rng.choice(list(LeadSource)),
            rng.choice(list(LeadTemperature)),
            owner_id=rep,
        )
        await create_lead(session, lead)


async def _segments(session: AsyncSession, department_id: uuid.UUID) -> None:
    existing = set(await session.scalars(select(Segment.name)))
    for name, condition in SEGMENTS:
        if name not in existing:
            data = SegmentData(name=name, definition={"and": [condition]})
            await create_segment(
                session, data, Catalog.known(), department_id=department_id, created_by=None
            )


async def seed_workplace(
    session: AsyncSession, *, department_id: uuid.UUID | None, rng: random.Random
) -> None:
    await _stores(session)
    await _templates(session)
    if department_id is None:
        return
    rep = await session.scalar(select(User.id).where(User.email == FIELD_SALES))
    await _team(session, department_id, rep)
    await _leads(session, rng, rep)
    await session.flush()
    await _segments(session, department_id)
