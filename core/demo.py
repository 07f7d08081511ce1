"""Core's demo data: people with Thai or Latin names, and companies with their contacts.

Called through the ``seed_demo_data`` hook before any plugin's (plugins attach their deals,
cases and points to these customers). Everything goes through the domain services, so demo
rows obey the same rules and emit the same events as real ones. The same ``rng`` seed gives
the same names, companies and links.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.passwords import hash_password
from unicrm.core.authz.store import to_row
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, record_consent
from unicrm.core.graph.contacts.services import AddressData, add_address, add_email, add_phone
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.graph.relationships.services import link_contact
from unicrm.core.graph.tags.services import TagRef, add_tag
from unicrm.core.graph.users.models import User

# (Thai script, Latin transliteration)
FIRST_NAMES = (
    ("สมชาย", "Somchai"),
    ("สมศรี", "Somsri"),
    ("วิชัย", "Wichai"),
    ("มาลี", "Malee"),
    ("ประเสริฐ", "Prasert"),
    ("สุนิสา", "Sunisa"),
    ("อนันต์", "Anan"),
    ("กนกวรรณ", "Kanokwan"),
    ("ธนากร", "Thanakorn"),
    ("พิมพ์ชนก", "Pimchanok"),
    ("ณัฐวุฒิ", "Nattawut"),
    ("อรุณี", "Arunee"),
    ("สุรชัย", "Surachai"),
    ("วราภรณ์", "Waraporn"),
    ("ปิยะ", "Piya"),
    ("จันทร์เพ็ญ", "Janpen"),
)
LAST_NAMES = (
    ("ใจดี", "Jaidee"),
    ("รักไทย", "Rakthai"),
    ("ศรีสุข", "Srisuk"),
    ("วงศ์สวัสดิ์", "Wongsawat"),
    ("แก้วมณี", "Kaewmanee"),
    ("บุญมา", "Boonma"),
    ("ทองดี", "Thongdee"),
    ("สุขสวัสดิ์", "Suksawat"),
    ("เจริญผล", "Charoenphon"),
    ("พรหมมา", "Phromma"),
    ("มั่นคง", "Mankhong"),
    ("ชัยมงคล", "Chaimongkhon"),
)
COMPANY_PLACES = (
    ("สยาม", "Siam"),
    ("กรุงเทพ", "Bangkok"),
    ("ล้านนา", "Lanna"),
    ("อันดามัน", "Andaman"),
    ("เจ้าพระยา", "Chao Phraya"),
    ("อีสาน", "Isan"),
    ("รัตนโกสินทร์", "Rattanakosin"),
    ("ทองหล่อ", "Thonglor"),
)
COMPANY_TRADES = (
    ("เทรดดิ้ง", "Trading", "Wholesale"),
    ("ฟู้ดส์", "Foods", "Food & Beverage"),
    ("เทคโนโลยี", "Technology", "Software"),
    ("ลอจิสติกส์", "Logistics", "Logistics"),
    ("รีเทล", "Retail", "Retail"),
    ("คอนสตรัคชั่น", "Construction", "Construction"),
    ("ฟาร์มา", "Pharma", "Healthcare"),
    ("โฮเทล", "Hotels", "Hospitality"),
)
ROLES = (
    ("ผู้จัดการฝ่ายจัดซื้อ", "Purchasing Manager"),
    ("กรรมการผู้จัดการ", "Managing Director"),
    ("ผู้จัดการฝ่ายการตลาด", "Marketing Manager"),
    ("เจ้าหน้าที่บัญชี", "Accountant"),
)
# (sku, name, category, price in THB)
CATALOGUE = (
    ("KP-001", "ข้าวผัดกระเพรา / Basil fried rice", "food/rice", "65"),
    ("KP-002", "ต้มยำกุ้ง / Tom yum goong", "food/soup", "120"),
    ("KP-003", "ผัดไทย / Pad thai", "food/noodles", "80"),
    ("KP-004", "ชาไทยเย็น / Thai iced tea", "drinks/tea", "45"),
    ("HW-101", "Router AX3000", "electronics/network", "2490"),
    ("HW-102", "Smart TV 55 นิ้ว", "electronics/tv", "15990"),
    ("SV-201", "Air-con service visit", "services/maintenance", "800"),
)
MODIFIERS = ("ไม่ใส่ผักชี / no coriander", "ไม่เอาหนังหมู / no pork skin", "เผ็ดน้อย / mild")
PROVINCES = (
    ("กรุงเทพมหานคร", "10110"),
    ("เชียงใหม่", "50000"),
    ("ภูเก็ต", "83000"),
    ("ขอนแก่น", "40000"),
    ("ชลบุรี", "20000"),
)
STORES = ("BKK-SIAM", "BKK-SILOM", "CNX-NIMMAN", "HKT-PATONG")
TAGS = ("vip", "new", "b2b-lead", "newsletter")
MOBILE_PREFIXES = ("081", "082", "086", "089", "091", "095", "061")
COMPANY_SHARE = 0.2
EARLIEST_BIRTH = date(1960, 1, 1)
BIRTH_SPAN_DAYS = 45 * 365


async def default_department(session: AsyncSession) -> uuid.UUID | None:
    return await session.scalar(select(Department.id).where(Department.is_default.is_(True)))


def _latin(name: str | None, names: tuple[tuple[str, str], ...]) -> str:
    return next((latin for thai, latin in names if name in (thai, latin)), "customer")


def _person(rng: random.Random, department_id: uuid.UUID | None) -> CustomerData:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    script = rng.randrange(2)  # 0: Thai, 1: Latin
    return CustomerData(
        kind=CustomerKind.PERSON,
        first_name=first[script],
        last_name=last[script],
        birth_date=EARLIEST_BIRTH + timedelta(days=rng.randrange(BIRTH_SPAN_DAYS)),
        department_id=department_id,
    )


def _company(rng: random.Random, department_id: uuid.UUID | None) -> tuple[CustomerData, int]:
    place, trade = rng.choice(COMPANY_PLACES), rng.choice(COMPANY_TRADES)
    script = rng.randrange(2)
    name = f"บริษัท {place[0]}{trade[0]} จำกัด" if script == 0 else f"{place[1]} {trade[1]} Co., Ltd."
    data = CustomerData(
        kind=CustomerKind.COMPANY,
        company_name=name,
        tax_id="0105" + "".join(str(rng.randrange(10)) for _ in range(9)),
        industry=trade[2],
        department_id=department_id,
    )
    return data, script


async def _catalogue(session: AsyncSession) -> list[uuid.UUID]:
    """The demo products, created on the first run and reused after."""
    existing = dict((await session.execute(select(Product.sku, Product.id))).all())
    products = [existing[sku] for sku, *_ in CATALOGUE if sku in existing]
    for sku, name, category, price in CATALOGUE:
        if sku in existing:
            continue
        data = ProductData(
            sku=sku, name=name, category=category, price=Price(Decimal(price), "THB"), active=True
        )
        products.append((await create_product(session, data)).id)
    return products


async def _profile(
    session: AsyncSession, rng: random.Random, customer_id: uuid.UUID, latin_name: str, n: int
) -> None:
    """Contact points, a consent, a tag: what a real customer record carries."""
    handle = latin_name.lower().replace(" ", ".")
    await add_email(session, customer_id, f"{handle}.{n}@example.co.th", is_primary=True)
    number = rng.choice(MOBILE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(7))
    await add_phone(session, customer_id, number, is_primary=True)
    if rng.random() < 0.5:
        province, postal_code = rng.choice(PROVINCES)
        line1 = f"{rng.randrange(1, 999)}/{rng.randrange(1, 99)} ถนนสุขุมวิท"
        address = AddressData(line1=line1, province=province, postal_code=postal_code)
        await add_address(session, customer_id, address)
    if rng.random() < 0.6:
        change = ConsentChange(
            ConsentPurpose.MARKETING,
            ConsentChannel.EMAIL,
            ConsentStatus.GRANTED,
            ConsentSource.WEB_FORM,
            policy_version="2026-01",
        )
        await record_consent(session, customer_id, change)
    if rng.random() < 0.4:
        await add_tag(session, customer_id, TagRef(name=rng.choice(TAGS)))


async def _orders(
    session: AsyncSession, rng: random.Random, customer_id: uuid.UUID, products: list[uuid.UUID]
) -> None:
    for _ in range(rng.randrange(5)):
        lines = [
            LineData(
                rng.choice(products),
                rng.randrange(1, 4),
                modifiers=(rng.choice(MODIFIERS),) if rng.random() < 0.3 else (),
            )
            for _ in range(rng.randrange(1, 4))
        ]
        data = OrderData(
            customer_id=customer_id,
            source=OrderSource.POS,
            currency="THB",
            lines=lines,
            external_id=f"demo-{rng.getrandbits(48):012x}",
            store_code=rng.choice(STORES),
        )
        await create_order(session, data)


async def seed_customers(session: AsyncSession, *, size: int, rng: random.Random) -> None:
    """Create ``size`` customers: about one in five a company, linked to up to three people.

    A company takes its contacts from the people created since the previous company; the
    first of them is its primary contact.
    """
    department_id = await default_department(session)
    products = await _catalogue(session)
    unattached: list[uuid.UUID] = []
    for n in range(size):
        if rng.random() >= COMPANY_SHARE:
            data = _person(rng, department_id)
            person = await create_customer(session, data)
            latin = f"{_latin(data.first_name, FIRST_NAMES)} {_latin(data.last_name, LAST_NAMES)}"
            await _profile(session, rng, person.id, latin, n)
            await _orders(session, rng, person.id, products)
            unattached.append(person.id)
            continue
        data, script = _company(rng, department_id)
        company = await create_customer(session, data)
        contacts, unattached = unattached[-3:], []
        for position, person_id in enumerate(contacts):
            role = rng.choice(ROLES)[script]
            await link_contact(session, person_id, company.id, role=role, is_primary=position == 0)


DEMO_PASSWORD = "unicrm-demo"
"""The password of every demo staff account; demo data is for evaluation only."""

DEMO_STAFF = (
    ("admin@demo.unicrm.app", "Demo Admin", "admin", "*"),
    ("sales@demo.unicrm.app", "Somsak Field Sales", "field_sales", None),
    ("store@demo.unicrm.app", "Malee Store Staff", "store_staff", None),
)
"""Staff who can sign in to the demo: (e-mail, name, role, department; None = default)."""


async def seed_staff(session: AsyncSession, department: str) -> list[str]:
    """The demo's staff accounts, each holding its role, so an evaluator can sign in and see
    how access differs between an admin, a field sales rep and store staff."""
    emails = []
    for email, name, role, where in DEMO_STAFF:
        emails.append(email)
        if await session.scalar(select(User.id).where(User.email == email)) is not None:
            continue  # seeded by an earlier demo load
        user = User(
            email=email,
            display_name=name,
            password_hash=hash_password(DEMO_PASSWORD),
            primary_department_id=await session.scalar(
                select(Department.id).where(Department.slug == department)
            ),
        )
        session.add(user)
        await session.flush()
        session.add(to_row(Rule.link(f"user:{user.id}", role, where or department)))
    return emails
