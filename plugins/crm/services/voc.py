"""Voice of the customer: feedback categories and the VOC report.

A category (``delivery``, ``billing``...) is found in what customers write by its keywords,
Thai or English, matched anywhere in the text (Thai has no spaces between words) regardless
of case; a case whose category was set by hand to the category's key counts too. What
customers write: the subject and description of the cases they open, and the comments of
their satisfaction surveys. Editing a category changes the report at once: matching runs in
SQL when the report is asked for, nothing is stored per item.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.plugins.crm.models import Case, FeedbackCategory, Survey
from unicrm.plugins.crm.services.categories import normalize_category

MAX_NAME = 100
MAX_KEYWORDS = 50
MAX_KEYWORD = 50
MAX_BUCKETS = 24


@dataclass(frozen=True, slots=True)
class CategoryData:
    key: str
    name: str
    keywords: list[str]


def _keywords(values: list[str], errors: list[FieldError]) -> list[str]:
    words = list(dict.fromkeys(w.strip().lower() for w in values if w.strip()))
    if not words:
        errors.append(FieldError("REQUIRED", "a category needs at least one keyword", "keywords"))
    elif len(words) > MAX_KEYWORDS:
        errors.append(FieldError("TOO_MANY", f"at most {MAX_KEYWORDS} keywords", "keywords"))
    for i, word in enumerate(words):
        if len(word) > MAX_KEYWORD:
            errors.append(
                FieldError(
                    "TOO_LONG", f"a keyword has at most {MAX_KEYWORD} characters", f"keywords.{i}"
                )
            )
    return words


async def set_category(session: AsyncSession, data: CategoryData) -> FeedbackCategory:
    """Create the category of ``key`` or replace its name and keywords."""
    errors: list[FieldError] = []
    key = normalize_category(data.key, errors, "key")
    if key is None:
        errors.append(FieldError("REQUIRED", "a category needs a key", "key"))
    name = (data.name or "").strip()
    if not name:
        errors.append(FieldError("REQUIRED", "a category needs a name", "name"))
    elif len(name) > MAX_NAME:
        errors.append(FieldError("TOO_LONG", f"at most {MAX_NAME} characters", "name"))
    keywords = _keywords(data.keywords, errors)
    if errors:
        raise DomainError(*errors)
    row = await session.scalar(
        select(FeedbackCategory).where(FeedbackCategory.key == key).with_for_update()
    )
    if row is None:
        row = FeedbackCategory(id=uuid7(), key=key)
        session.add(row)
    row.name, row.keywords, row.updated_at = name, keywords, utcnow()
    await session.flush()
    return row


async def delete_category(session: AsyncSession, key: str) -> FeedbackCategory:
    row = await session.scalar(
        select(FeedbackCategory).where(FeedbackCategory.key == (key or "").strip().lower())
    )
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such feedback category", "key")
    await session.delete(row)
    return row


@dataclass(frozen=True, slots=True)
class Counts:
    """Feedback items, and per category (in ``VocReport.categories`` order) those in it."""

    items: int
    per_category: list[int]


@dataclass(frozen=True, slots=True)
class Period:
    since: datetime
    until: datetime
    counts: Counts


@dataclass(frozen=True, slots=True)
class VocReport:
    since: datetime
    until: datetime
    categories: list[FeedbackCategory]
    total: Counts
    trend: list[Period]
    by_product: list[tuple[uuid.UUID, Counts]]


def _like(text: ColumnElement[Any], word: str) -> ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(text).like(f"%{escaped}%", escape="\\")


def edges(since: datetime, until: datetime, buckets: int) -> list[datetime]:
    """The bounds of ``buckets`` equal periods from ``since`` to ``until``."""
    step = (until - since) / buckets
    return [since + step * i for i in range(buckets)] + [until]


def _check(since: datetime, until: datetime, buckets: int) -> None:
    errors = []
    if until <= since:
        errors.append(FieldError("INVALID", "the period ends after it starts", "until"))
    if not 1 <= buckets <= MAX_BUCKETS:
        errors.append(FieldError("INVALID", f"from 1 to {MAX_BUCKETS} periods", "buckets"))
    if errors:
        raise DomainError(*errors)


async def report(
    session: AsyncSession,
    since: datetime,
    until: datetime,
    buckets: int,
    scope: ColumnElement[bool] | None,
) -> VocReport:
    """What customers wrote in [since, until), counted per category: in total, in ``buckets``
    equal periods (the trend) and per product; one statement. ``scope``: the cases the
    caller may read."""
    _check(since, until, buckets)
    categories = list(
        await session.scalars(select(FeedbackCategory).order_by(FeedbackCategory.key))
    )
    visible = [] if scope is None else [scope]
    cases = select(
        Case.opened_at.label("at"),
        Case.product_id.label("product_id"),
        (Case.subject + literal(" ") + func.coalesce(Case.description, "")).label("text"),
        Case.category.label("manual"),
    ).where(Case.opened_at >= since, Case.opened_at < until, *visible)
    comments = (
        select(
            Survey.answered_at.label("at"),
            Case.product_id.label("product_id"),
            Survey.comment.label("text"),
            null().label("manual"),
        )
        .join(Case, Case.id == Survey.case_id)
        .where(
            Survey.comment.is_not(None),
            Survey.answered_at >= since,
            Survey.answered_at < until,
            *visible,
        )
    )
    items = union_all(cases, comments).subquery()
    bounds = edges(since, until, buckets)
    inner = bounds[1:-1]
    bucket = (
        case(*[(items.c.at < edge, i) for i, edge in enumerate(inner)], else_=buckets - 1)
        if inner
        else literal(0)
    ).label("bucket")
    matches = [
        func.sum(
            case(
                (or_(items.c.manual == c.key, *[_like(items.c.text, w) for w in c.keywords]), 1),
                else_=0,
            )
        )
        for c in categories
    ]
    rows = (
        await session.execute(
            select(bucket, items.c.product_id, func.count(), *matches).group_by(
                bucket, items.c.product_id
            )
        )
    ).all()
    n = len(categories)
    per_bucket = [[0] * (n + 1) for _ in range(buckets)]
    per_product: dict[uuid.UUID, list[int]] = {}
    for row in rows:
        values = [int(v or 0) for v in row[2:]]
        _add(per_bucket[row[0]], values)
        if row[1] is not None:
            _add(per_product.setdefault(row[1], [0] * (n + 1)), values)
    total = [sum(col) for col in zip(*per_bucket, strict=True)]
    return VocReport(
        since=since,
        until=until,
        categories=categories,
        total=Counts(total[0], total[1:]),
        trend=[
            Period(bounds[i], bounds[i + 1], Counts(v[0], v[1:])) for i, v in enumerate(per_bucket)
        ],
        by_product=sorted(
            ((pk, Counts(v[0], v[1:])) for pk, v in per_product.items()),
            key=lambda p: (-p[1].items, str(p[0])),
        ),
    )


def _add(into: list[int], values: list[int]) -> None:
    for i, value in enumerate(values):
        into[i] += value
