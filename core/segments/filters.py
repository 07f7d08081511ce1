"""The segment filter contract: what core and every plugin declare through ``segment_filters()``.

A ``SegmentFilter`` is one field a segment condition can test (``orders.total_spend``,
``loyalty.tier``): its value type, the operators it allows and a ``compile`` function that
turns ``(operator, value)`` into a SQLAlchemy boolean expression correlated to ``customer.id``
(an ``EXISTS`` or a comparison of a scalar subquery), so a whole filter tree stays one SQL
statement. Values reach ``compile`` already checked and converted (``Decimal`` for money,
``date``/``datetime``, lists for the list operators), so a compile function never validates.

    from unicrm.core.segments.filters import CUSTOMER_ID, Op, SegmentFilter, ValueType, compare

    def _points(op, value):
        balance = (
            select(LoyaltyAccount.points)
            .where(LoyaltyAccount.customer_id == CUSTOMER_ID)
            .scalar_subquery()
        )
        return compare(func.coalesce(balance, 0), op, value)

    SegmentFilter("loyalty.points", "Points balance", ValueType.NUMBER, NUMERIC_OPS, _points)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, true
from sqlalchemy.sql import Select

from unicrm.core.db.types import utcnow
from unicrm.core.errors import PluginError
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id

CUSTOMER_ID = Customer.__table__.c.id
"""The column a filter's expression correlates to: the customer being tested."""

FILTER_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MAX_LIST = 1000
"""Most items one list value may hold."""
MAX_DAYS = 36_600


class Op(StrEnum):
    """Operators; the JSON and GraphQL spelling is the member name (``GTE``)."""

    EQ = "EQ"
    NEQ = "NEQ"
    IN = "IN"
    NOT_IN = "NOT_IN"
    GT = "GT"
    GTE = "GTE"
    LT = "LT"
    LTE = "LTE"
    BETWEEN = "BETWEEN"
    CONTAINS = "CONTAINS"
    STARTS_WITH = "STARTS_WITH"
    IS_SET = "IS_SET"
    IS_NOT_SET = "IS_NOT_SET"
    HAS_ANY = "HAS_ANY"
    HAS_ALL = "HAS_ALL"
    HAS_NONE = "HAS_NONE"
    IN_LAST_DAYS = "IN_LAST_DAYS"
    NOT_IN_LAST_DAYS = "NOT_IN_LAST_DAYS"


NO_VALUE = frozenset({Op.IS_SET, Op.IS_NOT_SET})
LIST_VALUE = frozenset({Op.IN, Op.NOT_IN, Op.HAS_ANY, Op.HAS_ALL, Op.HAS_NONE})
DAYS_VALUE = frozenset({Op.IN_LAST_DAYS, Op.NOT_IN_LAST_DAYS})

EQUALITY_OPS = (Op.EQ, Op.NEQ, Op.IN, Op.NOT_IN)
ORDER_OPS = (Op.EQ, Op.NEQ, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN)
TEXT_OPS = (*EQUALITY_OPS, Op.CONTAINS, Op.STARTS_WITH)
TIME_OPS = (Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN, Op.IN_LAST_DAYS, Op.NOT_IN_LAST_DAYS)
SET_OPS = (Op.HAS_ANY, Op.HAS_ALL, Op.HAS_NONE)
PRESENCE_OPS = (Op.IS_SET, Op.IS_NOT_SET)


class ValueType(StrEnum):
    """What a condition's value must be (each item of it, for the list operators)."""

    STRING = "STRING"
    NUMBER = "NUMBER"
    INTEGER = "INTEGER"
    MONEY = "MONEY"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    DATETIME = "DATETIME"
    CHOICE = "CHOICE"
    ID = "ID"


Compile = Callable[[Op, Any], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class SegmentFilter:
    """One field segment conditions can test.

    ``name`` is dotted and, for a plugin, starts with the plugin's name (``loyalty.tier``).
    ``choices`` are the allowed values of a CHOICE filter; ``id_type`` the GraphQL type whose
    global ids an ID filter takes (the compile function receives the UUIDs). ``permission``
    is read access the caller needs to filter on it (``core.order``), so a filter never
    reveals data its user may not read.
    """

    name: str
    label: str
    value_type: ValueType
    operators: tuple[Op, ...]
    compile: Compile
    description: str = ""
    choices: tuple[str, ...] = ()
    id_type: str | None = None
    permission: str | None = None
    normalize: Callable[[Any], Any] | None = None
    """Checks and converts each converted item further (a province name to its province);
    raises ``BadValue`` for an item that does not fit."""

    def __post_init__(self) -> None:
        if not FILTER_NAME.match(self.name):
            raise PluginError(f"segment filter {self.name!r} must look like 'plugin.field'")
        if not self.operators:
            raise PluginError(f"segment filter {self.name!r} allows no operator")
        if not callable(self.compile):
            raise PluginError(f"segment filter {self.name!r}: compile is not callable")
        if (self.value_type is ValueType.CHOICE) != bool(self.choices):
            raise PluginError(
                f"segment filter {self.name!r}: CHOICE filters and only they list choices"
            )
        if (self.value_type is ValueType.ID) != bool(self.id_type):
            raise PluginError(
                f"segment filter {self.name!r}: ID filters and only they name id_type"
            )


class BadValue(ValueError):
    """A condition value that does not fit its filter; the message says what was expected."""


def _one(value_type: ValueType, value: Any, f: SegmentFilter) -> Any:
    """One item converted to what ``compile`` receives, or ``BadValue``."""
    item = _typed(value_type, value, f)
    return item if f.normalize is None else f.normalize(item)


def _typed(value_type: ValueType, value: Any, f: SegmentFilter) -> Any:
    if value_type is ValueType.STRING:
        if isinstance(value, str) and value.strip() and len(value) <= 300:
            return value.strip()
        raise BadValue("expected a text of 1 to 300 characters")
    if value_type is ValueType.CHOICE:
        if isinstance(value, str) and value in f.choices:
            return value
        raise BadValue("expected one of " + ", ".join(f.choices))
    if value_type is ValueType.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise BadValue("expected true or false")
    if value_type is ValueType.INTEGER:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53:
            return value
        raise BadValue("expected a whole number")
    if value_type in (ValueType.NUMBER, ValueType.MONEY):
        return _decimal(value, value_type)
    if value_type is ValueType.DATE:
        return _date(value)
    if value_type is ValueType.DATETIME:
        return _datetime(value)
    return _id(value, f)


def _date(value: Any) -> date:
    try:
        if isinstance(value, str):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise BadValue("expected a date such as 2026-01-31")


def _datetime(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadValue("expected a date and time with an offset, e.g. 2026-01-31T00:00:00+07:00")
    return moment


def _decimal(value: Any, value_type: ValueType) -> Decimal | int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadValue(f"expected {'an amount' if value_type is ValueType.MONEY else 'a number'}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(repr(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        raise BadValue(
            "expected an amount such as 1500.00"
            if value_type is ValueType.MONEY
            else "expected a number"
        )
    if value_type is ValueType.MONEY:
        return number
    return int(number) if number == number.to_integral_value() else float(number)


def _id(value: Any, f: SegmentFilter) -> uuid.UUID:
    try:
        type_name, pk = from_global_id(value) if isinstance(value, str) else ("", None)
    except InvalidGlobalId:
        type_name, pk = "", None
    if pk is None or type_name != f.id_type:
        raise BadValue(f"expected the id of a {f.id_type}")
    return pk


def convert(f: SegmentFilter, op: Op, value: Any) -> Any:
    """``value`` as ``compile`` receives it for ``op``; ``BadValue`` when it does not fit."""
    if op in NO_VALUE:
        if value is not None:
            raise BadValue(f"{op.value} takes no value")
        return None
    if op in DAYS_VALUE:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_DAYS:
            return value
        raise BadValue(f"expected a number of days from 1 to {MAX_DAYS}")
    if op in LIST_VALUE:
        if not isinstance(value, list) or not value or len(value) > MAX_LIST:
            raise BadValue(f"expected a list of 1 to {MAX_LIST} values")
        return list(dict.fromkeys(_one(f.value_type, v, f) for v in value))
    if op is Op.BETWEEN:
        if not isinstance(value, list) or len(value) != 2:
            raise BadValue("expected a list of two values: [low, high]")
        low, high = (_one(f.value_type, v, f) for v in value)
        if low > high:
            raise BadValue("the low end is above the high end")
        return (low, high)
    return _one(f.value_type, value, f)


def cutoff(days: int) -> datetime:
    """The moment ``days`` days ago, for the IN_LAST_DAYS operators."""
    return utcnow() - timedelta(days=days)


def compare(expr: ColumnElement[Any], op: Op, value: Any) -> ColumnElement[bool]:
    """``expr`` compared by any scalar operator: the building block of most compile functions.

    Text comparisons with CONTAINS/STARTS_WITH ignore case. A NULL ``expr`` matches only
    IS_NOT_SET (and never NEQ or NOT_IN: use IS_NOT_SET for "has none").
    """
    match op:
        case Op.EQ:
            return expr == value
        case Op.NEQ:
            return expr != value
        case Op.IN:
            return expr.in_(value)
        case Op.NOT_IN:
            return expr.not_in(value)
        case Op.GT:
            return expr > value
        case Op.GTE:
            return expr >= value
        case Op.LT:
            return expr < value
        case Op.LTE:
            return expr <= value
        case Op.BETWEEN:
            return expr.between(value[0], value[1])
        case Op.CONTAINS:
            return expr.icontains(value, autoescape=True)
        case Op.STARTS_WITH:
            return expr.istartswith(value, autoescape=True)
        case Op.IS_SET:
            return expr.is_not(None)
        case Op.IS_NOT_SET:
            return expr.is_(None)
        case Op.IN_LAST_DAYS:
            return expr >= cutoff(value)
        case Op.NOT_IN_LAST_DAYS:
            return expr < cutoff(value)
    raise ValueError(f"compare does not handle {op}")


def has(
    op: Op, values: Sequence[Any], matching: Callable[[Sequence[Any]], Select[Any]]
) -> ColumnElement[bool]:
    """HAS_ANY / HAS_ALL / HAS_NONE over a set of related rows.

    ``matching(items)`` is a select of the customer's related rows matching any of ``items``,
    correlated to ``CUSTOMER_ID``: one EXISTS for HAS_ANY and HAS_NONE, one per item for
    HAS_ALL.
    """
    if op is Op.HAS_ALL:
        return and_(*(exists(matching([v])) for v in values))
    found = exists(matching(values))
    return not_(found) if op is Op.HAS_NONE else found


# The filter tree ----------------------------------------------------------------------------

GROUPS = ("and", "or", "not")
MAX_DEPTH = 8
MAX_CONDITIONS = 200


@dataclass(frozen=True, slots=True)
class Condition:
    filter: SegmentFilter
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class Group:
    kind: str  # "and" | "or" | "not"
    children: tuple[Node, ...]


Node = Condition | Group


@dataclass
class Problems:
    """Validation failures collected over a whole tree: (code, message, path)."""

    items: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, code: str, message: str, path: str) -> None:
        self.items.append((code, message, path))


Lookup = Callable[[str], SegmentFilter | None]
Allowed = Callable[[SegmentFilter], bool]


def parse(
    raw: Any, lookup: Lookup, problems: Problems, path: str, allowed: Allowed | None = None
) -> Node | None:
    """The tree in ``raw`` (stored JSON shape), each failure added to ``problems`` at its path."""
    count = [0]
    return _parse(raw, lookup, problems, path, allowed, 1, count)


def _parse(
    raw: Any,
    lookup: Lookup,
    problems: Problems,
    path: str,
    allowed: Allowed | None,
    depth: int,
    count: list[int],
) -> Node | None:
    if not isinstance(raw, dict):
        problems.add("INVALID", "expected a group (and, or, not) or a condition", path)
        return None
    groups = [k for k in GROUPS if raw.get(k) is not None]
    is_condition = raw.get("field") is not None
    if len(groups) + is_condition != 1:
        problems.add("INVALID", "give exactly one of and, or, not, or a condition (field)", path)
        return None
    if groups:
        kind = groups[0]
        extra = set(raw) - {kind}
        if any(raw[k] is not None for k in extra):
            problems.add("INVALID", f"a group takes only {kind}", path)
            return None
        if depth > MAX_DEPTH:
            problems.add("INVALID", f"groups nest at most {MAX_DEPTH} deep", path)
            return None
        items = [raw[kind]] if kind == "not" else raw[kind]
        if kind != "not" and (not isinstance(items, list) or not items):
            problems.add("INVALID", f"{kind} needs a list of at least one item", f"{path}.{kind}")
            return None
        children = [
            _parse(
                item,
                lookup,
                problems,
                f"{path}.{kind}" if kind == "not" else f"{path}.{kind}.{i}",
                allowed,
                depth + 1,
                count,
            )
            for i, item in enumerate(items)
        ]
        if any(c is None for c in children):
            return None
        return Group(kind, tuple(c for c in children if c is not None))
    return _condition(raw, lookup, problems, path, allowed, count)


def _condition(
    raw: dict[str, Any],
    lookup: Lookup,
    problems: Problems,
    path: str,
    allowed: Allowed | None,
    count: list[int],
) -> Condition | None:
    count[0] += 1
    if count[0] > MAX_CONDITIONS:
        problems.add("INVALID", f"a segment has at most {MAX_CONDITIONS} conditions", path)
        return None
    extra = set(raw) - {"field", "op", "value"}
    if extra:
        problems.add("INVALID", "a condition has only field, op and value", f"{path}.{min(extra)}")
        return None
    name = raw["field"]
    f = lookup(name) if isinstance(name, str) else None
    if f is None:
        problems.add("UNKNOWN_FIELD", f"no segment filter named {name!r}", f"{path}.field")
        return None
    if allowed is not None and not allowed(f):
        problems.add("NOT_ALLOWED", f"you may not filter on {f.name}", f"{path}.field")
        return None
    try:
        op = Op(raw.get("op"))
    except ValueError:
        op = None
    if op is None or op not in f.operators:
        ops = ", ".join(o.value for o in f.operators)
        problems.add("UNSUPPORTED_OPERATOR", f"{f.name} takes the operators {ops}", f"{path}.op")
        return None
    try:
        value = convert(f, op, raw.get("value"))
    except BadValue as bad:
        problems.add("INVALID_VALUE", f"{f.name} {op.value}: {bad}", f"{path}.value")
        return None
    return Condition(f, op, value)


def compile_tree(node: Node) -> ColumnElement[bool]:
    """The tree as one boolean expression over ``customer``; unknowns count as false."""
    if isinstance(node, Condition):
        return node.filter.compile(node.op, node.value)
    parts = [compile_tree(c) for c in node.children]
    if node.kind == "and":
        return and_(true(), *parts)
    if node.kind == "or":
        return or_(false(), *parts)
    # NULL inside NOT would hide the customer from both a condition and its negation.
    return not_(parts[0].is_(True))


def names_in(raw: Any) -> Iterable[str]:
    """Every field name a stored tree mentions (to load attribute definitions up front)."""
    if isinstance(raw, dict):
        if isinstance(raw.get("field"), str):
            yield raw["field"]
        for kind in GROUPS:
            items = raw.get(kind)
            for item in items if isinstance(items, list) else [items]:
                yield from names_in(item)
