"""Customer domain logic: create, update, look up, list. Resolvers stay thin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.customers.models import Customer, CustomerAlias, CustomerKind
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.users.models import User

UNSET: Any = object()


@dataclass
class CustomerData:
    """The editable fields of a customer; ``UNSET`` leaves a field as it is on update."""

    kind: CustomerKind | None = None
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    birth_date: date | None = UNSET
    company_name: str | None = UNSET
    tax_id: str | None = UNSET
    industry: str | None = UNSET
    parent_id: uuid.UUID | None = UNSET
    owner_id: uuid.UUID | None = UNSET
    department_id: uuid.UUID | None = UNSET
    attributes: dict[str, Any] = field(default_factory=dict)

    def given(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.__dict__.items()
            if v is not UNSET and k not in ("kind", "attributes")
        }


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def display_name_of(row: Customer) -> str:
    if row.kind is CustomerKind.COMPANY:
        return row.company_name or ""
    return " ".join(p for p in (row.first_name, row.last_name) if p)


def _validate(row: Customer) -> None:
    errors: list[FieldError] = []
    if row.kind is CustomerKind.PERSON and not (row.first_name or row.last_name):
        errors.append(FieldError("REQUIRED", "a person needs a first or last name", "first_name"))
    if row.kind is CustomerKind.COMPANY and not row.company_name:
        errors.append(FieldError("REQUIRED", "a company needs a name", "company_name"))
    if row.birth_date is not None and row.birth_date > utcnow().date():
        errors.append(FieldError("INVALID", "birth date is in the future", "birth_date"))
    for name in ("first_name", "last_name", "company_name"):
        value = getattr(row, name)
        if value is not None and len(value) > 150 + 150 * (name == "company_name"):
            errors.append(FieldError("TOO_LONG", f"{name.replace('_', ' ')} is too long", name))
    if errors:
        raise DomainError(*errors)


async def _check_parent(session: AsyncSession, row: Customer) -> None:
    if row.parent_id is None:
        return
    if row.kind is not CustomerKind.COMPANY:
        raise DomainError.single("INVALID", "only a company can have a parent company", "parent_id")
    parent = await session.get(Customer, row.parent_id)
    if parent is None or parent.kind is not CustomerKind.COMPANY:
        raise DomainError.single("NOT_FOUND", "the parent company does not exist", "parent_id")
    seen = {row.id}
    while parent is not None:
        if parent.id in seen:
            raise DomainError.single("CYCLE", "a company cannot be its own ancestor", "parent_id")
        seen.add(parent.id)
        parent = await session.get(Customer, parent.parent_id) if parent.parent_id else None


async def _check_references(session: AsyncSession, row: Customer, changed: set[str]) -> None:
    """An owner must be an active user and a department must exist."""
    if "owner_id" in changed and row.owner_id is not None:
        owner = await session.get(User, row.owner_id)
        if owner is None or not owner.is_active:
            raise DomainError.single("NOT_FOUND", "no active user with that id", "owner_id")
    department_id = row.department_id if "department_id" in changed else None
    if department_id is not None and await session.get(Department, department_id) is None:
        raise DomainError.single("NOT_FOUND", "no department with that id", "department_id")


async def create_customer(session: AsyncSession, data: CustomerData) -> Customer:
    if data.kind is None:
        raise DomainError.single("REQUIRED", "kind is required", "kind")
    row = Customer(id=uuid7(), kind=data.kind, attributes={}, version=1)
    for name, value in data.given().items():
        setattr(row, name, _clean(value) if isinstance(value, str) else value)
    _validate(row)
    await _check_parent(session, row)
    await _check_references(session, row, set(data.given()))
    row.display_name = display_name_of(row)
    session.add(row)
    await session.flush()
    emit(session, "customer.created", {"kind": row.kind.value}, customer_id=row.id)
    return row


async def update_customer(
    session: AsyncSession, customer_id: uuid.UUID, data: CustomerData
) -> Customer:
    row = await get_customer(session, customer_id, for_update=True)
    changed = []
    for name, value in data.given().items():
        value = _clean(value) if isinstance(value, str) else value
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    _validate(row)
    if "parent_id" in changed:
        await _check_parent(session, row)
    await _check_references(session, row, set(changed))
    row.display_name = display_name_of(row)
    if changed:
        row.version += 1
        await session.flush()
        emit(session, "customer.updated", {"fields": changed}, customer_id=row.id)
    return row


async def resolve_id(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID:
    """The surviving id for ``customer_id`` (itself unless it was merged away)."""
    alias = await session.scalar(
        select(CustomerAlias.customer_id).where(CustomerAlias.old_id == customer_id)
    )
    return alias or customer_id


async def get_customer(
    session: AsyncSession, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer:
    real_id = await resolve_id(session, customer_id)
    stmt = select(Customer).where(Customer.id == real_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such customer", "id")
    return row


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    kind: CustomerKind | None = None
    owner_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    ids: tuple[uuid.UUID, ...] | None = None


def visible_to(ctx: Any) -> ColumnElement[bool] | None:
    """The customers the request's actor may see (their row scope of ``core.customer``)."""
    return visible(ctx, "core.customer", owner=Customer.owner_id, department=Customer.department_id)


def filtered(stmt: Select[Any], f: CustomerFilter) -> Select[Any]:
    if f.kind is not None:
        stmt = stmt.where(Customer.kind == f.kind)
    if f.owner_id is not None:
        stmt = stmt.where(Customer.owner_id == f.owner_id)
    if f.department_id is not None:
        stmt = stmt.where(Customer.department_id == f.department_id)
    if f.parent_id is not None:
        stmt = stmt.where(Customer.parent_id == f.parent_id)
    if f.ids is not None:
        stmt = stmt.where(Customer.id.in_(f.ids))
    return stmt
