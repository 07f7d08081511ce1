"""Contact point logic: normalization, one value per customer, at most one primary of a kind.

``normalize_email`` and ``normalize_phone`` are the one definition of a contact value's canonical
form; search, merge and import call them so that equal values compare equal.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.contacts.countries import ISO_3166_ALPHA2
from unicrm.core.graph.contacts.models import (
    AddressLabel,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    EmailLabel,
    PhoneLabel,
)
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.customers.services import UNSET, get_customer

Row = TypeVar("Row", CustomerEmail, CustomerPhone, CustomerAddress)

DEFAULT_PHONE_REGION = "TH"
EVENT = "customer.contact_changed"

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_FIVE_DIGITS = re.compile(r"[0-9]{5}")
_FOREIGN_POSTAL_CODE = re.compile(r"[A-Z0-9][A-Z0-9 -]{0,14}[A-Z0-9]")
_ADDRESS_LIMITS = {
    "line1": 300,
    "line2": 300,
    "sub_district": 150,
    "district": 150,
    "province": 150,
}
_ADDRESS_TEXT = (*_ADDRESS_LIMITS, "postal_code", "country")


def normalize_email(raw: str, field: str = "address") -> str:
    """The canonical form of an email address, or a ``DomainError`` (INVALID).

    email-validator checks the syntax and normalizes Unicode and the domain. The whole address
    is then lowercased: mailbox providers treat the local part case-insensitively, and duplicate
    detection must find ``Somchai@…`` and ``somchai@…`` equal.
    """
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError.single("INVALID", f"not a valid email address: {exc}", field) from None
    return checked.normalized.lower()


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION, field: str = "number") -> str:
    """The E.164 form of a phone number (``081-234-5678`` → ``+66812345678``).

    Numbers without a country code are read as numbers of ``region``. Raises a ``DomainError``
    (INVALID) for anything that is not a valid, dialable number.
    """
    try:
        parsed = phonenumbers.parse(raw[:64], region)
    except phonenumbers.NumberParseException:
        raise DomainError.single("INVALID", "not a phone number", field) from None
    if len(raw) > 64 or not phonenumbers.is_valid_number(parsed):
        raise DomainError.single("INVALID", "not a valid phone number", field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone_national(e164: str) -> str:
    """An E.164 number as its country writes it (``+66812345678`` → ``081 234 5678``)."""
    return phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def check_address(row: CustomerAddress) -> None:
    """Clean an address in place and validate it; every problem is reported at once.

    A Thai address needs a province and a postal code of five digits whose first two (the
    province prefix) lie between 10 and 96. Thai digits are accepted and stored as ASCII.
    """
    for name in _ADDRESS_TEXT:
        setattr(row, name, _clean(getattr(row, name)))
    row.country = (row.country or "").upper()
    if row.postal_code is not None:
        row.postal_code = row.postal_code.translate(_THAI_DIGITS).upper()
    errors: list[FieldError] = []
    if row.country not in ISO_3166_ALPHA2:
        errors.append(
            FieldError("INVALID", "country must be an ISO 3166 alpha-2 code such as TH", "country")
        )
    if not row.line1:
        errors.append(FieldError("REQUIRED", "the first address line is required", "line1"))
    code = row.postal_code
    if row.country == "TH":
        if not row.province:
            errors.append(FieldError("REQUIRED", "a Thai address needs a province", "province"))
        if code is None:
            errors.append(
                FieldError("REQUIRED", "a Thai address needs a postal code", "postal_code")
            )
        elif not (_FIVE_DIGITS.fullmatch(code) and 10 <= int(code[:2]) <= 96):
            errors.append(
                FieldError(
                    "INVALID",
                    "a Thai postal code is five digits starting 10 to 96",
                    "postal_code",
                )
            )
    elif code is not None and not _FOREIGN_POSTAL_CODE.fullmatch(code):
        errors.append(FieldError("INVALID", "not a valid postal code", "postal_code"))
    for name, limit in _ADDRESS_LIMITS.items():
        value = getattr(row, name)
        if value is not None and len(value) > limit:
            errors.append(FieldError("TOO_LONG", f"at most {limit} characters", name))
    if errors:
        raise DomainError(*errors)


async def customer_for_update(
    session: AsyncSession, customer_id: uuid.UUID, field: str = "customer_id"
) -> Customer:
    """The customer (merged-away ids resolve to the survivor), locked for this transaction.

    Locking the customer serializes concurrent changes to its contact points, identities and
    consents, so uniqueness and "one primary" checks cannot race.
    """
    try:
        return await get_customer(session, customer_id, for_update=True)
    except DomainError:
        raise DomainError.single("NOT_FOUND", "no such customer", field) from None


async def _owned(
    session: AsyncSession, model: type[Row], customer_id: uuid.UUID, row_id: uuid.UUID, noun: str
) -> tuple[Customer, Row]:
    """A contact row of the customer; another customer's row is NOT_FOUND, never touched."""
    customer = await customer_for_update(session, customer_id)
    row = await session.scalar(
        select(model).where(model.id == row_id, model.customer_id == customer.id)
    )
    if row is None:
        raise DomainError.single("NOT_FOUND", f"the customer has no such {noun}", "id")
    return customer, row


async def _clear_primary(
    session: AsyncSession, model: type[Row], customer_id: uuid.UUID, keep: uuid.UUID | None = None
) -> None:
    """Unset the customer's current primary of this kind (before a new one is set)."""
    stmt = update(model).where(model.customer_id == customer_id, model.is_primary.is_(True))
    if keep is not None:
        stmt = stmt.where(model.id != keep)
    await session.execute(stmt.values(is_primary=False))


def _changed(session: AsyncSession, kind: str, action: str, row: Row) -> None:
    emit(
        session,
        EVENT,
        {"kind": kind, "action": action, "id": str(row.id)},
        customer_id=row.customer_id,
    )


async def _insert(session: AsyncSession, row: Row, kind: str, unique: str | None = None) -> Row:
    if unique is not None:
        model = type(row)
        value = getattr(row, unique)
        taken = await session.scalar(
            select(model.id).where(
                model.customer_id == row.customer_id, getattr(model, unique) == value
            )
        )
        if taken is not None:
            raise DomainError.single("DUPLICATE", f"the customer already has this {kind}", unique)
    if row.is_primary:
        await _clear_primary(session, type(row), row.customer_id)
    session.add(row)
    await session.flush()
    _changed(session, kind, "added", row)
    return row


async def _apply(
    session: AsyncSession,
    row: Row,
    kind: str,
    changes: dict[str, Any],
    check: Callable[[Row], None] | None = None,
) -> Row:
    """Apply the given (non-``UNSET``) changes, validate, and move the primary flag if asked."""
    given = {k: v for k, v in changes.items() if v is not UNSET}
    make_primary = given.pop("is_primary", None)
    before = {k: getattr(row, k) for k in given}
    for name, value in given.items():
        setattr(row, name, value)
    if check is not None:
        check(row)
    changed = [k for k in given if getattr(row, k) != before[k]]
    if make_primary is not None and make_primary != row.is_primary:
        if make_primary:
            await _clear_primary(session, type(row), row.customer_id, keep=row.id)
        row.is_primary = make_primary
        changed.append("is_primary")
    if changed:
        await session.flush()
        _changed(session, kind, "updated", row)
    return row


async def _remove(session: AsyncSession, customer: Customer, row: Row, kind: str) -> Customer:
    await session.delete(row)
    await session.flush()
    _changed(session, kind, "removed", row)
    return customer


async def add_email(
    session: AsyncSession,
    customer_id: uuid.UUID,
    address: str,
    *,
    label: EmailLabel = EmailLabel.OTHER,
    is_primary: bool = False,
    is_verified: bool = False,
) -> CustomerEmail:
    value = normalize_email(address)
    customer = await customer_for_update(session, customer_id)
    row = CustomerEmail(
        customer_id=customer.id,
        address=value,
        label=label,
        is_primary=is_primary,
        is_verified=is_verified,
    )
    return await _insert(session, row, "email", unique="address")


async def update_email(
    session: AsyncSession,
    customer_id: uuid.UUID,
    email_id: uuid.UUID,
    *,
    label: EmailLabel = UNSET,
    is_primary: bool = UNSET,
    is_verified: bool = UNSET,
) -> CustomerEmail:
    _, row = await _owned(session, CustomerEmail, customer_id, email_id, "email")
    changes = {"label": label, "is_primary": is_primary, "is_verified": is_verified}
    return await _apply(session, row, "email", changes)


async def remove_email(
    session: AsyncSession, customer_id: uuid.UUID, email_id: uuid.UUID
) -> Customer:
    customer, row = await _owned(session, CustomerEmail, customer_id, email_id, "email")
    return await _remove(session, customer, row, "email")


async def add_phone(
    session: AsyncSession,
    customer_id: uuid.UUID,
    number: str,
    *,
    label: PhoneLabel = PhoneLabel.MOBILE,
    is_primary: bool = False,
    is_verified: bool = False,
    region: str = DEFAULT_PHONE_REGION,
) -> CustomerPhone:
    value = normalize_phone(number, region)
    customer = await customer_for_update(session, customer_id)
    row = CustomerPhone(
        customer_id=customer.id,
        number=value,
        label=label,
        is_primary=is_primary,
        is_verified=is_verified,
    )
    return await _insert(session, row, "phone", unique="number")


async def update_phone(
    session: AsyncSession,
    customer_id: uuid.UUID,
    phone_id: uuid.UUID,
    *,
    label: PhoneLabel = UNSET,
    is_primary: bool = UNSET,
    is_verified: bool = UNSET,
) -> CustomerPhone:
    _, row = await _owned(session, CustomerPhone, customer_id, phone_id, "phone")
    changes = {"label": label, "is_primary": is_primary, "is_verified": is_verified}
    return await _apply(session, row, "phone", changes)


async def remove_phone(
    session: AsyncSession, customer_id: uuid.UUID, phone_id: uuid.UUID
) -> Customer:
    customer, row = await _owned(session, CustomerPhone, customer_id, phone_id, "phone")
    return await _remove(session, customer, row, "phone")


@dataclass
class AddressData:
    """The editable fields of an address; ``UNSET`` leaves a field as it is on update."""

    line1: str | None = UNSET
    line2: str | None = UNSET
    sub_district: str | None = UNSET
    district: str | None = UNSET
    province: str | None = UNSET
    postal_code: str | None = UNSET
    country: str = UNSET
    label: AddressLabel = UNSET
    is_primary: bool = UNSET


async def add_address(
    session: AsyncSession, customer_id: uuid.UUID, data: AddressData
) -> CustomerAddress:
    row = CustomerAddress(
        line1=None,
        line2=None,
        sub_district=None,
        district=None,
        province=None,
        postal_code=None,
        country="TH",
        label=AddressLabel.HOME,
        is_primary=False,
    )
    for name, value in vars(data).items():
        if value is not UNSET:
            setattr(row, name, value)
    check_address(row)
    customer = await customer_for_update(session, customer_id)
    row.customer_id = customer.id
    return await _insert(session, row, "address")


async def update_address(
    session: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID, data: AddressData
) -> CustomerAddress:
    _, row = await _owned(session, CustomerAddress, customer_id, address_id, "address")
    return await _apply(session, row, "address", vars(data), check=check_address)


async def remove_address(
    session: AsyncSession, customer_id: uuid.UUID, address_id: uuid.UUID
) -> Customer:
    customer, row = await _owned(session, CustomerAddress, customer_id, address_id, "address")
    return await _remove(session, customer, row, "address")
