"""Contracts and subscriptions: create, change, cancel, renew, and the daily status run.

Every status change is recorded in ``contract_status_change`` (who, when, why) and emitted
as ``contract.status_changed`` in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import MONEY_QUANTUM
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.assets.models import Asset
from unicrm.core.graph.assets.services import UNSET, add_months, clean_text, owner_of
from unicrm.core.graph.contracts.models import (
    BillingPeriod,
    Contract,
    ContractKind,
    ContractStatus,
    ContractStatusChange,
)
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.products.services import Price, money_errors

OPEN = (ContractStatus.PENDING, ContractStatus.ACTIVE)
"""Statuses of a contract that still runs or will run; only these change or end."""


@dataclass(frozen=True, slots=True)
class ContractData:
    customer_id: uuid.UUID
    kind: ContractKind
    name: str
    start_date: date
    billing_period: BillingPeriod
    end_date: date | None = None
    renewal_date: date | None = None
    auto_renew: bool = False
    plan: str | None = None
    product_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    value: Price | None = None
    notes: str | None = None


def renews_on(contract: Contract) -> date | None:
    """The day the renewal is decided: the renewal date, else the end date."""
    return contract.renewal_date or contract.end_date


def date_errors(
    start: date, end: date | None, renewal: date | None, auto_renew: bool
) -> list[FieldError]:
    errors: list[FieldError] = []
    if end is not None and end <= start:
        errors.append(FieldError("INVALID_DATES", "the end must be after the start", "end_date"))
    if renewal is not None and (renewal < start or (end is not None and renewal > end)):
        errors.append(
            FieldError(
                "INVALID_DATES",
                "the renewal date must be within the term (start to end)",
                "renewal_date",
            )
        )
    if auto_renew and end is None:
        errors.append(FieldError("REQUIRED", "an auto-renewing contract needs an end", "end_date"))
    return errors


def _texts(errors: list[FieldError], **values: tuple[str | None, int]) -> dict[str, str | None]:
    cleaned: dict[str, str | None] = {}
    for name, (value, limit) in values.items():
        try:
            cleaned[name] = clean_text(value, name, limit)
        except DomainError as error:
            errors += error.errors
    return cleaned


def record_status(
    session: AsyncSession,
    contract: Contract,
    to_status: ContractStatus,
    reason: str | None,
    *,
    new: bool = False,
) -> None:
    """Move ``contract`` to ``to_status`` with a history row and, unless the contract is
    ``new`` (its first status, announced by its own event), a ``contract.status_changed``."""
    from_status = None if new else contract.status
    actor = session.info.get("actor")
    session.add(
        ContractStatusChange(
            id=uuid7(),
            contract_id=contract.id,
            from_status=from_status,
            to_status=to_status,
            changed_by=getattr(actor, "name", None),
            reason=reason,
        )
    )
    contract.status = to_status
    if from_status is not None:
        emit(
            session,
            "contract.status_changed",
            {
                "contract_id": str(contract.id),
                "from_status": from_status.value,
                "to_status": to_status.value,
                "reason": reason,
            },
            customer_id=contract.customer_id,
        )


async def create_contract(session: AsyncSession, data: ContractData, today: date) -> Contract:
    """A new contract: active when it has started, pending when it starts later."""
    errors: list[FieldError] = []
    texts = _texts(errors, name=(data.name, 200), plan=(data.plan, 100), notes=(data.notes, 2000))
    if "name" in texts and texts["name"] is None:
        errors.append(FieldError("REQUIRED", "a contract needs a name", "name"))
    errors += date_errors(data.start_date, data.end_date, data.renewal_date, data.auto_renew)
    if data.value is not None:
        errors += money_errors(data.value, "value")
    product_id = data.product_id
    if product_id is not None and await session.get(Product, product_id) is None:
        errors.append(FieldError("NOT_FOUND", "no such product", "product_id"))
    asset = None if data.asset_id is None else await session.get(Asset, data.asset_id)
    if data.asset_id is not None and asset is None:
        errors.append(FieldError("NOT_FOUND", "no such asset", "asset_id"))
    if errors:
        raise DomainError(*errors)
    customer = await owner_of(session, data.customer_id)
    if asset is not None:
        if asset.customer_id != customer.id:
            raise DomainError.single("INVALID", "the asset belongs to someone else", "asset_id")
        product_id = product_id or asset.product_id
    contract = Contract(
        id=uuid7(),
        customer_id=customer.id,
        kind=data.kind,
        name=texts["name"],
        plan=texts["plan"],
        notes=texts["notes"],
        product_id=product_id,
        asset_id=None if asset is None else asset.id,
        start_date=data.start_date,
        end_date=data.end_date,
        renewal_date=data.renewal_date,
        auto_renew=data.auto_renew,
        billing_period=data.billing_period,
        value=None if data.value is None else data.value.amount.quantize(MONEY_QUANTUM),
        currency=None if data.value is None else data.value.currency,
    )
    status = ContractStatus.ACTIVE if data.start_date <= today else ContractStatus.PENDING
    record_status(session, contract, status, "created", new=True)
    session.add(contract)
    await session.flush()
    emit(
        session,
        "contract.created",
        {
            "contract_id": str(contract.id),
            "kind": contract.kind.value,
            "name": contract.name,
            "status": contract.status.value,
            "start_date": contract.start_date.isoformat(),
            "end_date": None if contract.end_date is None else contract.end_date.isoformat(),
        },
        customer_id=contract.customer_id,
    )
    return contract


async def locked(session: AsyncSession, contract_id: uuid.UUID) -> Contract:
    contract = await session.scalar(
        select(Contract).where(Contract.id == contract_id).with_for_update()
    )
    if contract is None:
        raise DomainError.single("NOT_FOUND", "no such contract", "id")
    return contract


def _open(contract: Contract) -> None:
    if contract.status not in OPEN:
        raise DomainError.single("INVALID_STATUS", f"the contract is {contract.status.value}", "id")


@dataclass(frozen=True, slots=True)
class ContractChange:
    """Fields to change; ``UNSET`` leaves one as it is, None clears an optional one."""

    name: str | None = UNSET
    plan: str | None = UNSET
    end_date: date | None = UNSET
    renewal_date: date | None = UNSET
    auto_renew: bool | None = UNSET
    value: Price | None = UNSET
    notes: str | None = UNSET


async def update_contract(
    session: AsyncSession, contract_id: uuid.UUID, change: ContractChange
) -> Contract:
    """Change a pending or active contract; the dates are checked as on creation."""
    contract = await locked(session, contract_id)
    _open(contract)
    errors: list[FieldError] = []
    given = {
        name: (getattr(change, name), limit)
        for name, limit in (("name", 200), ("plan", 100), ("notes", 2000))
        if getattr(change, name) is not UNSET
    }
    texts = _texts(errors, **given)
    if "name" in texts and texts["name"] is None:
        errors.append(FieldError("REQUIRED", "a contract needs a name", "name"))
    if change.auto_renew is None:
        errors.append(FieldError("REQUIRED", "auto renew cannot be null", "auto_renew"))
    if change.value not in (UNSET, None):
        errors += money_errors(change.value, "value")
    end = contract.end_date if change.end_date is UNSET else change.end_date
    renewal = contract.renewal_date if change.renewal_date is UNSET else change.renewal_date
    auto = contract.auto_renew if change.auto_renew in (UNSET, None) else change.auto_renew
    errors += date_errors(contract.start_date, end, renewal, auto)
    if errors:
        raise DomainError(*errors)
    for name, value in texts.items():
        setattr(contract, name, value)
    if (end, renewal) != (contract.end_date, contract.renewal_date):
        contract.renewal_notice_days = None  # a new renewal day gets its reminders afresh
    contract.end_date, contract.renewal_date, contract.auto_renew = end, renewal, auto
    if change.value is not UNSET:
        contract.value = (
            None if change.value is None else change.value.amount.quantize(MONEY_QUANTUM)
        )
        contract.currency = None if change.value is None else change.value.currency
    await session.flush()
    return contract


async def cancel_contract(
    session: AsyncSession, contract_id: uuid.UUID, reason: str | None
) -> Contract:
    contract = await locked(session, contract_id)
    _open(contract)
    why = clean_text(reason, "reason", 300)
    record_status(session, contract, ContractStatus.CANCELLED, why or "cancelled")
    await session.flush()
    return contract


def next_period(start: date, end: date) -> tuple[date, date]:
    """The period after ``start`` to ``end`` (both inclusive), as long as it: in calendar months
    when the term is whole months (a year from 1 March is to the last day of February), else
    in days."""
    new_start = end + timedelta(days=1)
    months = (new_start.year - start.year) * 12 + new_start.month - start.month
    if months > 0 and add_months(start, months) == new_start:
        return new_start, add_months(new_start, months) - timedelta(days=1)
    return new_start, new_start + (new_start - start) - timedelta(days=1)


async def renew(session: AsyncSession, contract: Contract, reason: str) -> Contract:
    """End ``contract`` (locked, with an end date) as renewed and start its next period."""
    assert contract.end_date is not None
    start, end = next_period(contract.start_date, contract.end_date)
    renewal = None
    if contract.renewal_date is not None:
        renewal = max(start, end - (contract.end_date - contract.renewal_date))
    record_status(session, contract, ContractStatus.RENEWED, reason)
    successor = Contract(
        id=uuid7(),
        customer_id=contract.customer_id,
        kind=contract.kind,
        name=contract.name,
        plan=contract.plan,
        notes=contract.notes,
        product_id=contract.product_id,
        asset_id=contract.asset_id,
        start_date=start,
        end_date=end,
        renewal_date=renewal,
        auto_renew=contract.auto_renew,
        billing_period=contract.billing_period,
        value=contract.value,
        currency=contract.currency,
        previous_id=contract.id,
    )
    record_status(session, successor, ContractStatus.ACTIVE, f"renewal of {contract.id}", new=True)
    session.add(successor)
    await session.flush()
    emit(
        session,
        "contract.renewed",
        {
            "contract_id": str(successor.id),
            "previous_id": str(contract.id),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        },
        customer_id=successor.customer_id,
    )
    return successor


async def renew_contract(session: AsyncSession, contract_id: uuid.UUID) -> Contract:
    """Renew by hand: an active or expired contract with an end date gets its next period."""
    contract = await locked(session, contract_id)
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
        raise DomainError.single(
            "INVALID_STATUS", f"a {contract.status.value} contract cannot be renewed", "id"
        )
    if contract.end_date is None:
        raise DomainError.single("INVALID", "a contract without an end cannot be renewed", "id")
    return await renew(session, contract, "renewed")


def visible_to(ctx: Any) -> ColumnElement[bool] | None:
    """The contracts the actor may see: those of customers in its ``core.contract`` scope."""
    return visible(ctx, "core.contract", owner=Customer.owner_id, department=Customer.department_id)


def scoped(stmt: Select[Any], where: ColumnElement[bool] | None) -> Select[Any]:
    if where is None:
        return stmt
    return stmt.join(Customer, Customer.id == Contract.customer_id).where(where)


@dataclass(frozen=True, slots=True)
class ContractFilter:
    customer_id: uuid.UUID | None = None
    kinds: tuple[ContractKind, ...] | None = None
    statuses: tuple[ContractStatus, ...] | None = None
    renewal_due_before: date | None = None
    """Contracts whose renewal (renewal date, else end date) is on or before this day."""


def filtered(stmt: Select[Any], f: ContractFilter) -> Select[Any]:
    if f.customer_id is not None:
        stmt = stmt.where(Contract.customer_id == f.customer_id)
    if f.kinds:
        stmt = stmt.where(Contract.kind.in_(f.kinds))
    if f.statuses:
        stmt = stmt.where(Contract.status.in_(f.statuses))
    if f.renewal_due_before is not None:
        due = func.coalesce(Contract.renewal_date, Contract.end_date)
        stmt = stmt.where(due <= f.renewal_due_before)
    return stmt
