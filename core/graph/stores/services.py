"""Stores and branches: create and update with a validated address, hours and time zone."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.contacts.services import check_address, normalize_phone
from unicrm.core.graph.customers.services import UNSET
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.stores import hours
from unicrm.core.graph.stores.models import Store, StoreStaff
from unicrm.core.graph.users.models import User
from unicrm.core.regions import REGIONS, province

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_BRANCH = re.compile(r"[0-9]{5}")


@dataclass
class StoreData:
    """The editable fields of a store; ``UNSET`` leaves a field as it is on update."""

    code: str = UNSET
    name: str = UNSET
    line1: str | None = UNSET
    line2: str | None = UNSET
    sub_district: str | None = UNSET
    district: str | None = UNSET
    province: str | None = UNSET
    postal_code: str | None = UNSET
    country: str = UNSET
    phone: str | None = UNSET
    opening_hours: Sequence[hours.Interval] = UNSET
    timezone: str | None = UNSET
    tax_branch: str = UNSET
    active: bool = UNSET
    staff: Sequence[uuid.UUID] = UNSET


@dataclass(frozen=True, slots=True)
class StoreFilter:
    regions: Sequence[str] = ()
    provinces: Sequence[str] = ()
    active: bool | None = None


def _locate(row: Store) -> None:
    """Derive the ISO province code and region from the address's province (Thai only)."""
    found = province(row.province) if row.province and row.country == "TH" else None
    row.province_code = found.code if found else None
    row.region = found.region if found else None


def _errors(row: Store) -> list[FieldError]:
    errors: list[FieldError] = []
    row.code = (row.code or "").strip()
    row.name = " ".join((row.name or "").split())
    if not _CODE.fullmatch(row.code):
        errors.append(FieldError("INVALID", "a code is 1-32 letters, digits, '-' or '_'", "code"))
    if not row.name:
        errors.append(FieldError("REQUIRED", "a store needs a name", "name"))
    elif len(row.name) > 200:
        errors.append(FieldError("TOO_LONG", "at most 200 characters", "name"))
    try:
        ZoneInfo(row.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("INVALID", "not an IANA time zone", "timezone"))
    if not _BRANCH.fullmatch(row.tax_branch or ""):
        errors.append(FieldError("INVALID", "a tax branch is five digits", "tax_branch"))
    try:
        check_address(row)
    except DomainError as error:
        errors += error.errors
    else:
        if row.country == "TH" and province(row.province or "") is None:
            errors.append(FieldError("INVALID", "not a Thai province", "province"))
    return errors


async def _set_staff(session: AsyncSession, store: Store, staff: Sequence[uuid.UUID]) -> None:
    wanted = set(staff)
    found = set((await session.scalars(select(User.id).where(User.id.in_(wanted)))).all())
    if missing := wanted - found:
        raise DomainError.single("NOT_FOUND", f"{len(missing)} staff user(s) not found", "staff")
    await session.execute(delete(StoreStaff).where(StoreStaff.store_id == store.id))
    session.add_all(StoreStaff(store_id=store.id, user_id=u) for u in wanted)


def _save(row: Store, data: StoreData, business_zone: str) -> Store:
    for name, value in vars(data).items():
        if value is UNSET or name == "staff":
            continue
        if name == "opening_hours":
            value = [i.as_json() for i in hours.check(value, "opening_hours")]
        setattr(row, name, value)
    row.timezone = row.timezone or business_zone
    errors = _errors(row)
    if data.phone not in (UNSET, None):
        try:
            row.phone = normalize_phone(data.phone, field="phone")
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    _locate(row)
    return row


async def create_store(session: AsyncSession, data: StoreData, business_zone: str) -> Store:
    row = Store(
        line2=None,
        sub_district=None,
        district=None,
        province=None,
        postal_code=None,
        country="TH",
        phone=None,
        opening_hours=[],
        timezone=None,
        tax_branch="00000",
        active=True,
    )
    row = _save(row, data, business_zone)
    values = {c.key: getattr(row, c.key) for c in Store.__table__.columns if c.key != "id"}
    values["id"] = row.id = uuid7()
    values["created_at"] = values["updated_at"] = utcnow()
    if not await insert_or_skip(session, Store, values, ("code",)):
        raise DomainError.single("DUPLICATE", f"a store with code {row.code} exists", "code")
    store = await session.get_one(Store, row.id)
    if data.staff is not UNSET:
        await _set_staff(session, store, data.staff)
    await session.flush()
    return store


async def update_store(
    session: AsyncSession, store_id: uuid.UUID, data: StoreData, business_zone: str
) -> Store:
    row = await session.get(Store, store_id, with_for_update=True)
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such store", "id")
    if data.code is not UNSET and data.code.strip() != row.code:
        taken = await session.scalar(select(Store.id).where(Store.code == data.code.strip()))
        if taken is not None:
            raise DomainError.single("DUPLICATE", f"a store with code {data.code} exists", "code")
    _save(row, data, business_zone)
    if data.staff is not UNSET:
        await _set_staff(session, row, data.staff)
    await session.flush()
    return row


def filtered(stmt: Select[Any], f: StoreFilter) -> Select[Any]:
    """``stmt`` over ``store`` narrowed to the filter; an unknown region is a ``DomainError``."""
    if unknown := [r for r in f.regions if r not in REGIONS]:
        raise DomainError.single("INVALID", f"unknown region {unknown[0]!r}", "filter.regions")
    codes = []
    for name in f.provinces:
        found = province(name)
        if found is None:
            raise DomainError.single("INVALID", f"unknown province {name!r}", "filter.provinces")
        codes.append(found.code)
    if f.regions:
        stmt = stmt.where(Store.region.in_(f.regions))
    if codes:
        stmt = stmt.where(Store.province_code.in_(codes))
    if f.active is not None:
        stmt = stmt.where(Store.active.is_(f.active))
    return stmt
