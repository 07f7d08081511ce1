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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.relationships.services import link_contact

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
COMPANY_SHARE = 0.2
EARLIEST_BIRTH = date(1960, 1, 1)
BIRTH_SPAN_DAYS = 45 * 365


async def _default_department(session: AsyncSession) -> uuid.UUID | None:
    return await session.scalar(select(Department.id).where(Department.is_default.is_(True)))


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


async def seed_customers(session: AsyncSession, *, size: int, rng: random.Random) -> None:
    """Create ``size`` customers: about one in five a company, linked to up to three people.

    A company takes its contacts from the people created since the previous company; the
    first of them is its primary contact.
    """
    department_id = await _default_department(session)
    unattached: list[uuid.UUID] = []
    for _ in range(size):
        if rng.random() >= COMPANY_SHARE:
            person = await create_customer(session, _person(rng, department_id))
            unattached.append(person.id)
            continue
        data, script = _company(rng, department_id)
        company = await create_customer(session, data)
        contacts, unattached = unattached[-3:], []
        for position, person_id in enumerate(contacts):
            role = rng.choice(ROLES)[script]
            await link_contact(session, person_id, company.id, role=role, is_primary=position == 0)
