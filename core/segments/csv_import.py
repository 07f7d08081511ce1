"""Matching the rows of a CSV text to customers, for static segment lists.

The header names how rows are matched: ``id`` (a Customer global id or UUID), ``email``,
``phone``, or ``source`` with ``external_id`` (an external identity). A row is matched by the
first of those it fills in. Every kind of key is looked up in one statement per chunk, within
the caller's row scope, so a customer the caller may not see is "not found".
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError
from unicrm.core.graph.contacts.models import CustomerEmail, CustomerPhone
from unicrm.core.graph.contacts.services import normalize_email, normalize_phone
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.identities.models import CustomerIdentity
from unicrm.core.graph.identities.services import normalize_external_id, normalize_source
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id
from unicrm.core.segments.services import visible_customers

MAX_CSV_CHARS = 2_000_000
MAX_CSV_ROWS = 20_000
CHUNK = 500
KEY_COLUMNS = ("id", "email", "phone", "source", "external_id")


@dataclass(frozen=True, slots=True)
class CsvProblem:
    line: int
    value: str
    problem: str  # NOT_FOUND | INVALID | AMBIGUOUS | EMPTY
    message: str


@dataclass
class CsvMatch:
    customer_ids: list[uuid.UUID] = field(default_factory=list)
    matched: int = 0
    unmatched: list[CsvProblem] = field(default_factory=list)


def _bad(message: str) -> DomainError:
    return DomainError.single("INVALID_CSV", message, "csv")


def _rows(text: str) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    if len(text) > MAX_CSV_CHARS:
        raise _bad(f"the CSV text has more than {MAX_CSV_CHARS} characters")
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        header = next(reader, None)
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise _bad(f"the CSV text cannot be read: {exc}") from None
    if not header:
        raise _bad("the CSV text is empty: it needs a header row")
    columns = {name.strip().lower().replace(" ", "_"): i for i, name in enumerate(header)}
    if "customer_id" in columns and "id" not in columns:
        columns["id"] = columns["customer_id"]
    known = {k: i for k, i in columns.items() if k in KEY_COLUMNS}
    identity = "source" in known and "external_id" in known
    if not ({"id", "email", "phone"} & set(known) or identity):
        raise _bad(
            "the header names no column to match: id, email, phone, or source and external_id"
        )
    if len(rows) > MAX_CSV_ROWS:
        raise _bad(f"at most {MAX_CSV_ROWS} rows per import")
    return known, rows


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    i = columns.get(name)
    return row[i].strip() if i is not None and i < len(row) else ""


def _key(row: list[str], columns: dict[str, int]) -> tuple[str, Any, str]:
    """(kind, normalized key, the raw value) of a row; ValueError with a message if invalid."""
    raw_id = _cell(row, columns, "id")
    if raw_id:
        try:
            type_name, pk = from_global_id(raw_id)
            if type_name != "Customer":
                raise ValueError("not the id of a Customer")
            return "id", pk, raw_id
        except InvalidGlobalId:
            try:
                return "id", uuid.UUID(raw_id), raw_id
            except ValueError:
                raise ValueError("not a customer id") from None
    email = _cell(row, columns, "email")
    if email:
        try:
            return "email", normalize_email(email), email
        except DomainError as error:
            raise ValueError(str(error)) from None
    phone = _cell(row, columns, "phone")
    if phone:
        try:
            return "phone", normalize_phone(phone), phone
        except DomainError as error:
            raise ValueError(str(error)) from None
    source, external_id = _cell(row, columns, "source"), _cell(row, columns, "external_id")
    if source or external_id:
        raw = f"{source}:{external_id}"
        try:
            return "identity", (normalize_source(source), normalize_external_id(external_id)), raw
        except DomainError as error:
            raise ValueError(str(error)) from None
    raise LookupError


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def _lookup(
    session: AsyncSession, kind: str, keys: list[Any], scope: ColumnElement[bool] | None
) -> dict[Any, set[uuid.UUID]]:
    """Each key → the customers (visible to the caller) it names."""
    found: dict[Any, set[uuid.UUID]] = defaultdict(set)
    if kind == "id":
        for chunk in _chunks(keys):
            for given, real in (await visible_customers(session, chunk, scope)).items():
                found[given].add(real)
        return found
    for chunk in _chunks(keys):
        if kind == "email":
            stmt = select(CustomerEmail.address, CustomerEmail.customer_id).where(
                CustomerEmail.address.in_(chunk)
            )
            target = CustomerEmail.customer_id
        elif kind == "phone":
            stmt = select(CustomerPhone.number, CustomerPhone.customer_id).where(
                CustomerPhone.number.in_(chunk)
            )
            target = CustomerPhone.customer_id
        else:
            stmt = select(
                CustomerIdentity.source, CustomerIdentity.external_id, CustomerIdentity.customer_id
            ).where(tuple_(CustomerIdentity.source, CustomerIdentity.external_id).in_(chunk))
            target = CustomerIdentity.customer_id
        stmt = stmt.join(Customer, Customer.id == target)
        if scope is not None:
            stmt = stmt.where(scope)
        for row in await session.execute(stmt):
            key = (row[0], row[1]) if kind == "identity" else row[0]
            found[key].add(row[-1])
    return found


async def match_csv(
    session: AsyncSession, text: str, scope: ColumnElement[bool] | None
) -> CsvMatch:
    """The customers the CSV rows name, in row order, and a report of the rows naming none."""
    columns, rows = _rows(text)
    result = CsvMatch()
    keyed: list[tuple[int, str, Any, str]] = []
    for line, row in rows:
        try:
            kind, key, raw = _key(row, columns)
        except LookupError:
            result.unmatched.append(CsvProblem(line, ",".join(row), "EMPTY", "no key to match"))
            continue
        except ValueError as bad:
            value = ",".join(row)
            result.unmatched.append(CsvProblem(line, value, "INVALID", str(bad)))
            continue
        keyed.append((line, kind, key, raw))
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for _, kind, key, _ in keyed:
        by_kind[kind].append(key)
    found = {
        kind: await _lookup(session, kind, list(dict.fromkeys(keys)), scope)
        for kind, keys in by_kind.items()
    }
    for line, kind, key, raw in keyed:
        customers = found[kind].get(key, set())
        if not customers:
            result.unmatched.append(
                CsvProblem(line, raw, "NOT_FOUND", f"no customer has this {kind}")
            )
        elif len(customers) > 1:
            result.unmatched.append(
                CsvProblem(line, raw, "AMBIGUOUS", f"{len(customers)} customers have this {kind}")
            )
        else:
            result.matched += 1
            result.customer_ids.append(next(iter(customers)))
    result.customer_ids = list(dict.fromkeys(result.customer_ids))
    result.unmatched.sort(key=lambda p: p.line)
    return result
