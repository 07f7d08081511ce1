"""Building search documents and normalising search queries."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable

import phonenumbers
from sqlalchemy import Connection, delete, insert, literal, select, union_all

from unicrm.core.db.base import Base

SOURCES = (
    ("customer_email", "address", "email"),
    ("customer_phone", "number", "phone"),
    ("customer_identity", "external_id", "identity"),
)
"""(table, value column, kind) of the rows a customer's document is made of, besides its name.

Tables that do not exist in this installation are skipped.
"""

MIN_QUERY_LENGTH = 3
CHUNK = 500

_PHONEISH = re.compile(r"^\+?[\d\s().\-]+$")
_NON_DIGIT = re.compile(r"\D")


def phone_forms(e164: str) -> list[str]:
    """``+66812345678`` → ``["+66812345678", "0812345678"]``: E.164 and national digits."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return [e164]
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [e164, _NON_DIGIT.sub("", national)]


def document_of(parts: Iterable[tuple[str, str]]) -> str:
    """One lowercased document from ``(kind, value)`` parts; the name first, then the rest."""
    ordered = sorted(parts, key=lambda p: (p[0] != "name", p[0], p[1]))
    words: list[str] = []
    for kind, value in ordered:
        words.extend(phone_forms(value) if kind == "phone" else [value])
    return " ".join(w.casefold() for w in words if w)


def query_terms(query: str) -> list[str]:
    """The substrings a query matches, or ``[]`` when it is too short to search.

    Text is lowercased with its whitespace collapsed. A phone-like query also matches as bare
    digits (keeping a leading ``+``), so ``081-234`` finds ``0812345678`` and ``+66 81 234``
    finds ``+66812345678``; documents hold both forms of every phone.
    """
    text = " ".join(query.split()).casefold()
    terms = [text] if len(text) >= MIN_QUERY_LENGTH else []
    if _PHONEISH.match(text):
        digits = ("+" if text.startswith("+") else "") + _NON_DIGIT.sub("", text)
        if len(digits) >= MIN_QUERY_LENGTH and digits not in terms:
            terms.append(digits)
    return terms


def _parts_query(ids: list[uuid.UUID]):
    tables = Base.metadata.tables
    customer = tables["customer"]
    parts = [
        select(customer.c.id, literal("name"), customer.c.display_name).where(
            customer.c.id.in_(ids)
        )
    ]
    for name, column, kind in SOURCES:
        table = tables.get(name)
        if table is not None:
            parts.append(
                select(table.c.customer_id, literal(kind), table.c[column]).where(
                    table.c.customer_id.in_(ids)
                )
            )
    return union_all(*parts)


def rebuild_documents(conn: Connection, customer_ids: Iterable[uuid.UUID]) -> None:
    """Rewrite the documents of ``customer_ids``; ids of deleted customers lose theirs.

    Three statements per chunk of ids: one read of every part, one delete, one insert.
    """
    search = Base.metadata.tables["customer_search"]
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        parts: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
        for customer_id, kind, value in conn.execute(_parts_query(chunk)):
            parts[customer_id].append((kind, value))
        conn.execute(delete(search).where(search.c.customer_id.in_(chunk)))
        rows = [
            {"customer_id": cid, "document": document_of(p)}
            for cid, p in parts.items()
            if any(kind == "name" for kind, _ in p)
        ]
        if rows:
            conn.execute(insert(search), rows)
