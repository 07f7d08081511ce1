"""The customer search statement for each backend."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, column, or_, select, table

from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.search.ddl import FTS_TABLE, SQLITE_TRIGRAM
from unicrm.core.graph.search.models import CustomerSearch

_fts = table(FTS_TABLE, column("rowid"), column("document"))


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_query(terms: list[str]) -> str:
    """FTS5 phrases joined by OR; with the trigram tokenizer a phrase matches as a substring."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def matching_customers(dialect: str, terms: list[str]) -> Select[Any]:
    """Customers whose search document contains any of ``terms`` (see ``query_terms``)."""
    if dialect == "sqlite" and SQLITE_TRIGRAM:
        rowids = select(_fts.c.rowid).where(_fts.c.document.match(_fts_query(terms)))
        found = select(CustomerSearch.customer_id).where(CustomerSearch.id.in_(rowids))
    else:
        found = select(CustomerSearch.customer_id).where(
            or_(*(CustomerSearch.document.ilike(_like_pattern(t), escape="\\") for t in terms))
        )
    return select(Customer).where(Customer.id.in_(found))
