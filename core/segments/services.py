"""Saved segments: create, change, refresh membership, static lists, auto-tagging rules.

A refresh works out the difference in SQL: new members are inserted with one
``INSERT … SELECT`` stamped with the refresh time, leavers are found with ``NOT EXISTS`` over
the same tree. Only pages of ids (``PAGE``) come back to Python, to emit one
``segment.entered``/``segment.exited`` event per customer and apply the tag rules, so a
segment of any size refreshes in bounded memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Uuid,
    delete,
    exists,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import UTCDateTime, utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.customers.services import resolve_id
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.tags import services as tags
from unicrm.core.graph.tags.models import CustomerTag, Tag
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.segments.compile import Catalog, attribute_filters, matches_for, resolve, where
from unicrm.core.segments.core_filters import ATTRIBUTE_PREFIX
from unicrm.core.segments.filters import Node, Problems, names_in, parse
from unicrm.core.segments.models import Segment, SegmentKind, SegmentMember, SegmentTagRule

PAGE = 500
"""Ids handled per round trip by refreshes and member changes."""
MIN_REFRESH_MINUTES = 5
MAX_REFRESH_MINUTES = 7 * 24 * 60
MAX_NAME = 200
MAX_DESCRIPTION = 2000
UNION_CHUNK = 100
"""Segments re-checked per statement for one customer (SQLite caps compound selects)."""

member = SegmentMember.__table__


def visible_segments(ctx: Any, action: str = "read") -> ColumnElement[bool] | None:
    """The segments the request's actor may see (or change): their row scope of core.segment,
    owned by their creator and held by their department."""
    return visible(
        ctx,
        "core.segment",
        owner=Segment.created_by,
        department=Segment.department_id,
        action=action,
    )


@dataclass
class SegmentData:
    """The editable fields of a segment; None leaves a field as it is on update."""

    name: str | None = None
    description: str | None = None
    definition: dict[str, Any] | None = None
    kind: SegmentKind | None = None
    refresh_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class RefreshResult:
    segment: Segment
    entered: int
    exited: int


def _insert(session: AsyncSession) -> Any:
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str | None:
    cleaned = " ".join((value or "").split()) if field == "name" else (value or "").strip()
    if not cleaned:
        if required:
            raise DomainError.single("REQUIRED", f"a segment needs a {field}", field)
        return None
    if len(cleaned) > limit:
        raise DomainError.single("TOO_LONG", f"{field} has at most {limit} characters", field)
    return cleaned


def _refresh_minutes(value: int) -> int:
    if not MIN_REFRESH_MINUTES <= value <= MAX_REFRESH_MINUTES:
        raise DomainError.single(
            "INVALID",
            f"refresh minutes must be between {MIN_REFRESH_MINUTES} and {MAX_REFRESH_MINUTES}",
            "refresh_minutes",
        )
    return value


async def get_segment(
    session: AsyncSession,
    segment_id: uuid.UUID,
    scope: ColumnElement[bool] | None = None,
    *,
    for_update: bool = False,
    field: str = "id",
) -> Segment:
    stmt = select(Segment).where(Segment.id == segment_id)
    if scope is not None:
        stmt = stmt.where(scope)
    if for_update:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such segment", field)
    return row


async def create_segment(
    session: AsyncSession,
    data: SegmentData,
    catalog: Catalog,
    *,
    department_id: uuid.UUID | None,
    created_by: uuid.UUID | None,
    allowed: Any = None,
) -> Segment:
    """Save a segment; a dynamic one is refreshed at once, so it starts with its members."""
    kind = data.kind or SegmentKind.DYNAMIC
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, limit, required in (
        ("name", MAX_NAME, True),
        ("description", MAX_DESCRIPTION, False),
    ):
        try:
            values[name] = _text(getattr(data, name), name, limit, required=required)
        except DomainError as error:
            errors += error.errors
    try:
        values["refresh_minutes"] = _refresh_minutes(data.refresh_minutes or 60)
    except DomainError as error:
        errors += error.errors
    if kind is SegmentKind.STATIC and data.definition is not None:
        errors.append(FieldError("INVALID", "a static segment has no definition", "definition"))
    elif kind is SegmentKind.DYNAMIC and data.definition is None:
        errors.append(FieldError("REQUIRED", "a dynamic segment needs a definition", "definition"))
    elif data.definition is not None:
        try:
            await resolve(session, data.definition, catalog, allowed=allowed)
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    row = Segment(
        id=uuid7(),
        kind=kind,
        definition=data.definition,
        department_id=department_id,
        created_by=created_by,
        member_count=0,
        **values,
    )
    session.add(row)
    await session.flush()
    if kind is SegmentKind.DYNAMIC:
        await refresh_segment(session, row, catalog)
    return row


async def update_segment(
    session: AsyncSession,
    segment_id: uuid.UUID,
    data: SegmentData,
    catalog: Catalog,
    scope: ColumnElement[bool] | None = None,
    allowed: Any = None,
) -> Segment:
    """Change a segment; a new definition refreshes its membership in the same transaction."""
    row = await get_segment(session, segment_id, scope, for_update=True)
    errors: list[FieldError] = []
    try:
        if data.name is not None:
            row.name = _text(data.name, "name", MAX_NAME, required=True) or ""
        if data.description is not None:
            row.description = _text(
                data.description, "description", MAX_DESCRIPTION, required=False
            )
        if data.refresh_minutes is not None:
            row.refresh_minutes = _refresh_minutes(data.refresh_minutes)
    except DomainError as error:
        errors += error.errors
    if data.kind is not None and data.kind is not row.kind:
        errors.append(FieldError("INVALID", "the kind of a segment cannot change", "kind"))
    redefine = data.definition is not None and data.definition != row.definition
    if data.definition is not None and row.kind is SegmentKind.STATIC:
        errors.append(FieldError("INVALID", "a static segment has no definition", "definition"))
    elif redefine:
        try:
            await resolve(session, data.definition, catalog, allowed=allowed)
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    if redefine:
        row.definition = data.definition
        await session.flush()
        await refresh_segment(session, row, catalog)
    await session.flush()
    return row


async def delete_segment(
    session: AsyncSession, segment_id: uuid.UUID, scope: ColumnElement[bool] | None = None
) -> uuid.UUID:
    """Delete a segment with its memberships and tag rules (no exit events: the audience is
    gone, not left). Tags it put on customers stay."""
    row = await get_segment(session, segment_id, scope, for_update=True)
    await session.execute(delete(Segment).where(Segment.id == row.id))
    return row.id


# Membership changes -------------------------------------------------------------------------


async def _rules(session: AsyncSession, segment_id: uuid.UUID) -> list[tuple[SegmentTagRule, Tag]]:
    rows = await session.execute(
        select(SegmentTagRule, Tag)
        .join(Tag, Tag.id == SegmentTagRule.tag_id)
        .where(SegmentTagRule.segment_id == segment_id)
        .order_by(SegmentTagRule.id)
    )
    return [(rule, tag) for rule, tag in rows]


async def _tag(session: AsyncSession, tag: Tag, customer_ids: Sequence[uuid.UUID], by: str) -> None:
    """Put ``tag`` on those of the customers who lack it, as ``customerTagAdd`` would."""
    has = set(
        await session.scalars(
            select(CustomerTag.customer_id).where(
                CustomerTag.tag_id == tag.id, CustomerTag.customer_id.in_(customer_ids)
            )
        )
    )
    now = utcnow()
    for customer_id in customer_ids:
        if customer_id in has:
            continue
        link = {"customer_id": customer_id, "tag_id": tag.id, "tagged_at": now, "tagged_by": by}
        if await insert_or_skip(session, CustomerTag, link, ("customer_id", "tag_id")):
            emit(session, "customer.tagged", {"tag": tag.name}, customer_id=customer_id)
            add_entry(
                session,
                customer_id,
                "core.tag_added",
                f"Tagged {tag.name}",
                data={"tag": tag.name},
                ref_type="Tag",
                ref_id=tag.id,
            )


async def _untag(session: AsyncSession, tag: Tag, customer_ids: Sequence[uuid.UUID]) -> None:
    removed = await session.scalars(
        delete(CustomerTag)
        .where(CustomerTag.tag_id == tag.id, CustomerTag.customer_id.in_(customer_ids))
        .returning(CustomerTag.customer_id)
    )
    for customer_id in removed.all():
        emit(session, "customer.untagged", {"tag": tag.name}, customer_id=customer_id)
        add_entry(
            session,
            customer_id,
            "core.tag_removed",
            f"Untagged {tag.name}",
            data={"tag": tag.name},
            ref_type="Tag",
            ref_id=tag.id,
        )


async def _entered(
    session: AsyncSession,
    segment: Segment,
    customer_ids: Sequence[uuid.UUID],
    rules: list[tuple[SegmentTagRule, Tag]],
) -> None:
    """Events and tag rules for customers who just became members."""
    payload = {"segment_id": str(segment.id), "segment_name": segment.name}
    for customer_id in customer_ids:
        emit(session, "segment.entered", payload, customer_id=customer_id)
    for rule, tag in rules:
        if rule.add_on_enter:
            await _tag(session, tag, customer_ids, f"segment:{segment.name}")
    await session.flush()


async def _exited(
    session: AsyncSession,
    segment: Segment,
    customer_ids: Sequence[uuid.UUID],
    rules: list[tuple[SegmentTagRule, Tag]],
) -> None:
    """Events and tag rules for customers who just stopped being members."""
    payload = {"segment_id": str(segment.id), "segment_name": segment.name}
    for customer_id in customer_ids:
        emit(session, "segment.exited", payload, customer_id=customer_id)
    for rule, tag in rules:
        if rule.remove_on_exit:
            await _untag(session, tag, customer_ids)
    await session.flush()


async def _recount(session: AsyncSession, segment: Segment, now: datetime | None = None) -> None:
    count = (
        select(func.count())
        .select_from(member)
        .where(member.c.segment_id == segment.id)
        .scalar_subquery()
    )
    values: dict[str, Any] = {"member_count": count}
    if now is not None:
        values["refreshed_at"] = now
    await session.execute(
        update(Segment)
        .where(Segment.id == segment.id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(segment, ["member_count", "refreshed_at"])


async def stored_tree(session: AsyncSession, segment: Segment, catalog: Catalog) -> Node:
    """The saved definition as a tree; a definition that no longer validates (a plugin or an
    attribute it used is gone) is a ``DomainError`` on ``definition``."""
    return await resolve(session, segment.definition, catalog)


async def refresh_segment(
    session: AsyncSession, segment: Segment, catalog: Catalog | None = None
) -> RefreshResult:
    """Bring a dynamic segment's members in line with its definition, in SQL.

    Runs in the caller's transaction with the segment row locked (PostgreSQL), so two
    refreshes of one segment never interleave. A static segment is only recounted.
    """
    await session.execute(select(Segment.id).where(Segment.id == segment.id).with_for_update())
    now = utcnow()
    if segment.kind is SegmentKind.STATIC:
        await _recount(session, segment, now)
        return RefreshResult(segment, 0, 0)
    tree = await stored_tree(session, segment, catalog or Catalog.known())
    rules = await _rules(session, segment.id)
    is_member = exists().where(
        member.c.segment_id == segment.id, member.c.customer_id == Customer.id
    )
    newcomers = select(
        literal(segment.id, Uuid()).label("segment_id"),
        Customer.id,
        literal(now, UTCDateTime()).label("entered_at"),
    ).where(where(tree), ~is_member)
    await session.execute(
        _insert(session)(member)
        .from_select(["segment_id", "customer_id", "entered_at"], newcomers)
        .on_conflict_do_nothing()
    )
    entered = 0
    last: uuid.UUID | None = None
    while True:
        stmt = (
            select(member.c.customer_id)
            .where(member.c.segment_id == segment.id, member.c.entered_at == now)
            .order_by(member.c.customer_id)
            .limit(PAGE)
        )
        if last is not None:
            stmt = stmt.where(member.c.customer_id > last)
        page = list(await session.scalars(stmt))
        if not page:
            break
        entered += len(page)
        last = page[-1]
        await _entered(session, segment, page, rules)
    still = exists(select(Customer.id).where(Customer.id == member.c.customer_id, where(tree)))
    exited = 0
    while True:
        page = list(
            await session.scalars(
                select(member.c.customer_id)
                .where(member.c.segment_id == segment.id, ~still)
                .order_by(member.c.customer_id)
                .limit(PAGE)
            )
        )
        if not page:
            break
        exited += len(page)
        await session.execute(
            delete(member).where(member.c.segment_id == segment.id, member.c.customer_id.in_(page))
        )
        await _exited(session, segment, page, rules)
    await _recount(session, segment, now)
    return RefreshResult(segment, entered, exited)


async def refresh_due(session: AsyncSession, now: datetime | None = None) -> list[Segment]:
    """The dynamic segments whose last refresh is older than their interval."""
    moment = now or utcnow()
    rows = await session.scalars(
        select(Segment).where(Segment.kind == SegmentKind.DYNAMIC).order_by(Segment.id)
    )
    return [
        s
        for s in rows
        if s.refreshed_at is None
        or (moment - s.refreshed_at).total_seconds() >= s.refresh_minutes * 60
    ]


async def reevaluate_customer(session: AsyncSession, customer_id: uuid.UUID) -> tuple[int, int]:
    """Re-check one customer against every dynamic segment (after an event about them):
    one statement finds the segments they match; returns (entered, exited) counts.

    Saved definitions that no longer validate are skipped until they are fixed.
    """
    real = await resolve_id(session, customer_id)
    if await session.get(Customer, real) is None:
        return 0, 0
    segments = list(
        await session.scalars(select(Segment).where(Segment.kind == SegmentKind.DYNAMIC))
    )
    if not segments:
        return 0, 0
    keys = {
        n[len(ATTRIBUTE_PREFIX) :]
        for s in segments
        for n in names_in(s.definition)
        if n.startswith(ATTRIBUTE_PREFIX)
    }
    filters = {**Catalog.known().filters, **await attribute_filters(session, keys)}
    trees: dict[uuid.UUID, Node] = {}
    for s in segments:
        problems = Problems()
        tree = parse(s.definition, filters.get, problems, "definition")
        if tree is not None and not problems.items:
            trees[s.id] = tree
    matching: set[uuid.UUID] = set()
    items = list(trees.items())
    for start in range(0, len(items), UNION_CHUNK):
        selects = matches_for(dict(items[start : start + UNION_CHUNK]), real)
        stmt = selects[0] if len(selects) == 1 else union_all(*selects)
        matching.update(uuid.UUID(str(v)) for v in await session.scalars(stmt))
    current = set(
        await session.scalars(
            select(member.c.segment_id).where(
                member.c.customer_id == real, member.c.segment_id.in_(list(trees))
            )
        )
    )
    by_id = {s.id: s for s in segments}
    now = utcnow()
    for segment_id in sorted(matching - current):
        values = {"segment_id": segment_id, "customer_id": real, "entered_at": now}
        if await insert_or_skip(session, SegmentMember, values, ("segment_id", "customer_id")):
            segment = by_id[segment_id]
            await _entered(session, segment, [real], await _rules(session, segment_id))
            await _recount(session, segment)
    for segment_id in sorted(current - matching):
        await session.execute(
            delete(member).where(member.c.segment_id == segment_id, member.c.customer_id == real)
        )
        segment = by_id[segment_id]
        await _exited(session, segment, [real], await _rules(session, segment_id))
        await _recount(session, segment)
    return len(matching - current), len(current - matching)


# Static lists -------------------------------------------------------------------------------


def check_static(segment: Segment) -> None:
    if segment.kind is not SegmentKind.STATIC:
        raise DomainError.single(
            "NOT_STATIC", "members of a dynamic segment follow its definition", "segment_id"
        )


async def add_members(
    session: AsyncSession, segment: Segment, customer_ids: Sequence[uuid.UUID]
) -> int:
    """Add customers to a static segment; ones already in it are left alone. Returns how many
    entered."""
    check_static(segment)
    rules = await _rules(session, segment.id)
    now = utcnow()
    added = 0
    wanted = list(dict.fromkeys(customer_ids))
    for start in range(0, len(wanted), PAGE):
        page = wanted[start : start + PAGE]
        present = set(
            await session.scalars(
                select(member.c.customer_id).where(
                    member.c.segment_id == segment.id, member.c.customer_id.in_(page)
                )
            )
        )
        fresh = [c for c in page if c not in present]
        new = []
        for customer_id in fresh:
            values = {"segment_id": segment.id, "customer_id": customer_id, "entered_at": now}
            if await insert_or_skip(session, SegmentMember, values, ("segment_id", "customer_id")):
                new.append(customer_id)
        added += len(new)
        if new:
            await _entered(session, segment, new, rules)
    await _recount(session, segment)
    return added


async def remove_members(
    session: AsyncSession, segment: Segment, customer_ids: Sequence[uuid.UUID]
) -> int:
    """Take customers out of a static segment; returns how many left it."""
    check_static(segment)
    rules = await _rules(session, segment.id)
    removed = 0
    wanted = list(dict.fromkeys(customer_ids))
    for start in range(0, len(wanted), PAGE):
        gone = list(
            await session.scalars(
                delete(member)
                .where(
                    member.c.segment_id == segment.id,
                    member.c.customer_id.in_(wanted[start : start + PAGE]),
                )
                .returning(member.c.customer_id)
            )
        )
        removed += len(gone)
        if gone:
            await _exited(session, segment, gone, rules)
    await _recount(session, segment)
    return removed


async def visible_customers(
    session: AsyncSession, ids: Sequence[uuid.UUID], scope: ColumnElement[bool] | None
) -> dict[uuid.UUID, uuid.UUID]:
    """Given id → surviving customer id, for the ids naming a customer the caller may see."""
    if not ids:
        return {}
    aliases = dict(
        (
            await session.execute(
                select(CustomerAlias.old_id, CustomerAlias.customer_id).where(
                    CustomerAlias.old_id.in_(ids)
                )
            )
        ).all()
    )
    real = {i: aliases.get(i, i) for i in ids}
    stmt = select(Customer.id).where(Customer.id.in_(set(real.values())))
    if scope is not None:
        stmt = stmt.where(scope)
    found = set(await session.scalars(stmt))
    return {i: r for i, r in real.items() if r in found}


# Auto-tagging rules -------------------------------------------------------------------------


async def rule_tag(session: AsyncSession, tag_id: uuid.UUID | None, name: str | None) -> Tag:
    """The tag of a new rule: by id, or by name (created if missing)."""
    if (tag_id is None) == (name is None):
        raise DomainError.single("REQUIRED", "give either tagId or tagName", "tag_id")
    if tag_id is not None:
        tag = await session.get(Tag, tag_id)
        if tag is None:
            raise DomainError.single("NOT_FOUND", "no such tag", "tag_id")
        return tag
    clean = tags.clean_name(name, "tag_name")
    values = {"id": uuid7(), "name": clean, "name_key": tags.name_key(clean)}
    await insert_or_skip(session, Tag, values, ("name_key",))
    tag = await tags.find_by_name(session, clean)
    assert tag is not None  # inserted now, or committed by whoever won the race
    return tag


async def create_tag_rule(
    session: AsyncSession,
    segment: Segment,
    tag: Tag,
    *,
    add_on_enter: bool = True,
    remove_on_exit: bool = True,
) -> SegmentTagRule:
    """Tie a tag to a segment. A rule on a tag the segment's own definition tests is refused:
    tagging would change who matches, and the members would flip at every refresh."""
    if not (add_on_enter or remove_on_exit):
        raise DomainError.single("INVALID", "a rule adds on enter, removes on exit, or both")
    if segment.definition is not None and _tests_tag(segment.definition, tag.name_key):
        raise DomainError.single(
            "INVALID", f"the segment's definition tests the tag {tag.name!r}", "tag_id"
        )
    values = {
        "id": uuid7(),
        "segment_id": segment.id,
        "tag_id": tag.id,
        "add_on_enter": add_on_enter,
        "remove_on_exit": remove_on_exit,
        "created_at": utcnow(),
    }
    if not await insert_or_skip(session, SegmentTagRule, values, ("segment_id", "tag_id")):
        raise DomainError.single("DUPLICATE", "the segment has a rule for this tag", "tag_id")
    return await session.get_one(SegmentTagRule, values["id"])


def _tests_tag(raw: Any, name_key: str) -> bool:
    if isinstance(raw, dict):
        if raw.get("field") == "customer.tags":
            value = raw.get("value")
            items = value if isinstance(value, list) else [value]
            return any(isinstance(v, str) and v.strip().casefold() == name_key for v in items)
        return any(
            _tests_tag(item, name_key)
            for kind in ("and", "or", "not")
            for item in (raw.get(kind) if isinstance(raw.get(kind), list) else [raw.get(kind)])
        )
    return False


async def delete_tag_rule(
    session: AsyncSession, rule_id: uuid.UUID, scope: ColumnElement[bool] | None = None
) -> SegmentTagRule:
    rule = await session.get(SegmentTagRule, rule_id)
    if rule is None:
        raise DomainError.single("NOT_FOUND", "no such tag rule", "id")
    await get_segment(session, rule.segment_id, scope, field="id")
    await session.delete(rule)
    await session.flush()
    return rule


# Merge and privacy --------------------------------------------------------------------------


async def export_memberships(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """The customer's segment memberships, for a data subject access request."""
    rows = await session.execute(
        select(Segment.id, Segment.name, SegmentMember.entered_at)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(SegmentMember.customer_id == customer_id)
        .order_by(Segment.name, Segment.id)
    )
    return [
        {"segment_id": str(sid), "segment": name, "entered_at": entered.isoformat()}
        for sid, name, entered in rows
    ]


async def erase_memberships(session: AsyncSession, customer_id: uuid.UUID) -> int:
    """Remove the customer from every segment (no exit events: erasure leaves no trace) and
    recount the segments they were in."""
    segment_ids = list(
        await session.scalars(
            delete(member).where(member.c.customer_id == customer_id).returning(member.c.segment_id)
        )
    )
    for segment in await session.scalars(select(Segment).where(Segment.id.in_(segment_ids))):
        await _recount(session, segment)
    return len(segment_ids)
