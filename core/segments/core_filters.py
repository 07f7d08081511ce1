"""Core's own segment filters, registered through ``segment_filters()`` like any plugin's.

Adding one is a few lines: a compile function correlated to ``CUSTOMER_ID`` and an entry in
``FILTERS``. Custom attributes (``attribute.<key>``) are made from the attribute definitions
when a tree names them (``attribute_filter``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, exists, func, not_, or_, select
from sqlalchemy.sql import Select

from unicrm.core.graph.attributes.models import AttributeDefinition, AttributeType
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentState,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import CHANNELLED_PURPOSES
from unicrm.core.graph.contacts.models import CustomerAddress
from unicrm.core.graph.customers.models import Customer, CustomerKind, LifecycleStage
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id
from unicrm.core.graph.leads.models import Lead, LeadSource, LeadStatus, LeadTemperature
from unicrm.core.graph.orders.models import Order, OrderLine, OrderStatus
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.products.services import normalize_category
from unicrm.core.graph.tags.models import CustomerTag, Tag
from unicrm.core.regions import _ALIASES as ALIASES
from unicrm.core.regions import PROVINCES, REGIONS, Province, province
from unicrm.core.segments.filters import (
    CUSTOMER_ID,
    EQUALITY_OPS,
    ORDER_OPS,
    PRESENCE_OPS,
    SET_OPS,
    TEXT_OPS,
    TIME_OPS,
    BadValue,
    Op,
    SegmentFilter,
    ValueType,
    compare,
    has,
)

ATTRIBUTE_PREFIX = "attribute."


def _column(column: Any) -> Any:
    def compile(op: Op, value: Any) -> ColumnElement[bool]:
        return compare(column, op, value)

    return compile


def _kind(op: Op, value: Any) -> ColumnElement[bool]:
    kinds = [CustomerKind(v) for v in value] if isinstance(value, list) else CustomerKind(value)
    return compare(Customer.kind, op, kinds)


def _choices(enum: type[StrEnum], value: Any) -> Any:
    return [enum(v) for v in value] if isinstance(value, list) else enum(value)


def _lifecycle_stage(op: Op, value: Any) -> ColumnElement[bool]:
    return compare(Customer.lifecycle_stage, op, _choices(LifecycleStage, value))


def _open_lead(column: Any, enum: type[StrEnum]) -> Any:
    """A property of the customer's open lead: NEQ/NOT_IN need an open lead with another
    value; IS_NOT_SET means no open lead at all."""

    def compile(op: Op, value: Any) -> ColumnElement[bool]:
        open_lead = select(Lead.id).where(
            Lead.customer_id == CUSTOMER_ID, Lead.status == LeadStatus.OPEN
        )
        if op is Op.IS_SET:
            return exists(open_lead)
        if op is Op.IS_NOT_SET:
            return not_(exists(open_lead))
        return exists(open_lead.where(compare(column, op, _choices(enum, value))))

    return compile


# Addresses: stored as typed (Thai or English, code or name), so a province is matched by every
# spelling ``core/regions.province`` accepts, folded the same way (case, spaces, dashes, dots).


def _folded(column: Any) -> Any:
    for char in (" ", "-", ".", ","):
        column = func.replace(column, char, "")
    return func.lower(column)


def _fold(text: str) -> str:
    """What ``_folded`` makes of a stored spelling, in Python (SQLite lowers ASCII only)."""
    for char in (" ", "-", ".", ","):
        text = text.replace(char, "")
    return "".join(c.lower() if c.isascii() else c for c in text)


def _spellings(provinces: Sequence[Province]) -> list[str]:
    codes = {p.code for p in provinces}
    found = {
        _fold(spelling)
        for p in provinces
        for spelling in (p.code, p.code.removeprefix("TH-"), p.name_en, p.name_th)
    }
    found |= {alias for alias, code in ALIASES.items() if code in codes}
    return sorted(found)


def _in_provinces(provinces: Sequence[Province]) -> Any:
    return (
        select(CustomerAddress.id)
        .where(CustomerAddress.customer_id == CUSTOMER_ID)
        .where(_folded(CustomerAddress.province).in_(_spellings(provinces)))
    )


def _address(to_provinces: Any) -> Any:
    def compile(op: Op, value: Any) -> ColumnElement[bool]:
        items = value if isinstance(value, list) else [value]
        provinces = [p for item in items for p in to_provinces(item)]
        found = _in_provinces(provinces).exists()
        return ~found if op is Op.NOT_IN else found

    return compile


def _province(item: str) -> Province:
    found = province(item)
    if found is None:
        raise BadValue(f"{item!r} is not a Thai province")
    return found


# Tags, consents and purchases: EXISTS over the customer's rows.


def _tags(op: Op, value: list[str]) -> ColumnElement[bool]:
    def matching(names: Sequence[str]) -> Select[Any]:
        return (
            select(CustomerTag.tag_id)
            .join(Tag, Tag.id == CustomerTag.tag_id)
            .where(CustomerTag.customer_id == CUSTOMER_ID, Tag.name_key.in_(names))
        )

    return has(op, value, matching)


CONSENTS = tuple(
    f"{purpose.value}:{channel.value}"
    for purpose in ConsentPurpose
    for channel in ConsentChannel
    if (purpose in CHANNELLED_PURPOSES) == (channel is not ConsentChannel.ANY)
)


def _consent(op: Op, value: Any) -> ColumnElement[bool]:
    def matching(pairs: Sequence[str]) -> Select[Any]:
        wanted = [p.split(":") for p in pairs]
        return select(ConsentState.customer_id).where(
            ConsentState.customer_id == CUSTOMER_ID,
            ConsentState.status == ConsentStatus.GRANTED,
            or_(
                *(
                    (ConsentState.purpose == ConsentPurpose(purpose))
                    & (ConsentState.channel == ConsentChannel(channel))
                    for purpose, channel in wanted
                )
            ),
        )

    return has(Op.HAS_ANY if op is Op.EQ else op, [value] if op is Op.EQ else value, matching)


PLACED = (Order.customer_id == CUSTOMER_ID) & (Order.status == OrderStatus.PLACED)
"""Purchase facts count placed orders: cancelled and refunded ones are not purchases."""


def _total_spend(op: Op, value: Any) -> ColumnElement[bool]:
    """Zero for a customer without orders; typed as money, so the amount binds through
    ``MoneyAmount`` and compares in stored ten-thousandths."""
    spend = select(func.sum(Order.total)).where(PLACED).scalar_subquery()
    return compare(func.coalesce(spend, 0, type_=Order.total.type), op, value)


def _order_count(op: Op, value: Any) -> ColumnElement[bool]:
    count = select(func.count(Order.id)).where(PLACED).scalar_subquery()
    return compare(count, op, value)


def _last_order(op: Op, value: Any) -> ColumnElement[bool]:
    last = select(func.max(Order.placed_at)).where(PLACED).scalar_subquery()
    return compare(last, op, value)


def _lines(*where: Any) -> Select[Any]:
    return select(OrderLine.id).join(Order, Order.id == OrderLine.order_id).where(PLACED, *where)


def _product(op: Op, value: list[str]) -> ColumnElement[bool]:
    def matching(items: Sequence[str]) -> Select[Any]:
        ids, skus = [], []
        for item in items:
            try:
                type_name, pk = from_global_id(item)
            except InvalidGlobalId:
                type_name, pk = "", None
            if type_name == "Product":
                ids.append(pk)
            else:
                skus.append(item)
        return _lines(or_(OrderLine.product_id.in_(ids), OrderLine.sku.in_(skus)))

    return has(op, value, matching)


def _category(op: Op, value: list[str]) -> ColumnElement[bool]:
    def matching(items: Sequence[str]) -> Select[Any]:
        inside = [Product.category == c for c in items]
        inside += [Product.category.startswith(f"{c}/", autoescape=True) for c in items]
        return _lines(or_(*inside)).join(Product, Product.id == OrderLine.product_id)

    return has(op, value, matching)


def _store(op: Op, value: list[str]) -> ColumnElement[bool]:
    def matching(codes: Sequence[str]) -> Select[Any]:
        return select(Order.id).where(PLACED, Order.store_code.in_(codes))

    return has(op, value, matching)


def _category_item(item: str) -> str:
    return normalize_category(item) or ""


FILTERS: tuple[SegmentFilter, ...] = (
    SegmentFilter(
        "customer.lifecycle_stage",
        "Lifecycle stage",
        ValueType.CHOICE,
        EQUALITY_OPS,
        _lifecycle_stage,
        choices=tuple(s.value for s in LifecycleStage),
        permission="core.customer",
    ),
    SegmentFilter(
        "lead.temperature",
        "Lead temperature",
        ValueType.CHOICE,
        (*EQUALITY_OPS, *PRESENCE_OPS),
        _open_lead(Lead.temperature, LeadTemperature),
        choices=tuple(t.value for t in LeadTemperature),
        description="Of the customer's open lead; IS_NOT_SET: no open lead.",
        permission="core.lead",
    ),
    SegmentFilter(
        "lead.source",
        "Lead source",
        ValueType.CHOICE,
        EQUALITY_OPS,
        _open_lead(Lead.source, LeadSource),
        choices=tuple(t.value for t in LeadSource),
        description="Of the customer's open lead.",
        permission="core.lead",
    ),
    SegmentFilter(
        "customer.kind",
        "Kind",
        ValueType.CHOICE,
        EQUALITY_OPS,
        _kind,
        choices=tuple(k.value for k in CustomerKind),
        permission="core.customer",
    ),
    SegmentFilter(
        "customer.display_name",
        "Name",
        ValueType.STRING,
        TEXT_OPS,
        _column(Customer.display_name),
        description="CONTAINS and STARTS_WITH ignore case.",
        permission="core.customer",
    ),
    SegmentFilter(
        "customer.created_at",
        "Created",
        ValueType.DATETIME,
        TIME_OPS,
        _column(Customer.created_at),
        permission="core.customer",
    ),
    SegmentFilter(
        "customer.owner",
        "Owner",
        ValueType.ID,
        (*EQUALITY_OPS, *PRESENCE_OPS),
        _column(Customer.owner_id),
        id_type="User",
        permission="core.customer",
    ),
    SegmentFilter(
        "customer.department",
        "Department",
        ValueType.ID,
        (*EQUALITY_OPS, *PRESENCE_OPS),
        _column(Customer.department_id),
        id_type="Department",
        permission="core.customer",
    ),
    SegmentFilter(
        "address.province",
        "Province",
        ValueType.STRING,
        (Op.EQ, Op.IN, Op.NOT_IN),
        _address(lambda p: [p]),
        description="Has an address in the province (any spelling: TH-50, 50, Chiang Mai, "
        "เชียงใหม่); NOT_IN: no address in any of them.",
        permission="core.contact",
        normalize=_province,
    ),
    SegmentFilter(
        "address.region",
        "Region",
        ValueType.CHOICE,
        (Op.EQ, Op.IN, Op.NOT_IN),
        _address(lambda key: [p for p in PROVINCES if p.region == key]),
        description="Has an address in a province of the region.",
        choices=tuple(REGIONS),
        permission="core.contact",
    ),
    SegmentFilter(
        "customer.tags",
        "Tags",
        ValueType.STRING,
        SET_OPS,
        _tags,
        description="Tag names, regardless of case.",
        permission="core.tag",
        normalize=str.casefold,
    ),
    SegmentFilter(
        "consent.granted",
        "Consent granted",
        ValueType.CHOICE,
        (Op.EQ, *SET_OPS),
        _consent,
        description="Current consent, as purpose:channel (marketing:email, profiling:any).",
        choices=CONSENTS,
        permission="core.consent",
    ),
    SegmentFilter(
        "orders.total_spend",
        "Total spend",
        ValueType.MONEY,
        ORDER_OPS,
        _total_spend,
        description="The sum of the customer's placed orders; 0 without orders.",
        permission="core.order",
    ),
    SegmentFilter(
        "orders.count",
        "Number of orders",
        ValueType.INTEGER,
        ORDER_OPS,
        _order_count,
        description="Placed orders; 0 without orders.",
        permission="core.order",
    ),
    SegmentFilter(
        "orders.last_order_at",
        "Last order",
        ValueType.DATETIME,
        (*TIME_OPS, *PRESENCE_OPS),
        _last_order,
        description="When the newest placed order was placed; IS_NOT_SET: never ordered. "
        "NOT_IN_LAST_DAYS matches only customers who ordered before.",
        permission="core.order",
    ),
    SegmentFilter(
        "orders.product",
        "Bought product",
        ValueType.STRING,
        SET_OPS,
        _product,
        description="Products by id or SKU.",
        permission="core.order",
    ),
    SegmentFilter(
        "orders.category",
        "Bought category",
        ValueType.STRING,
        SET_OPS,
        _category,
        description="A category includes its subcategories (Food includes Food/Noodles).",
        permission="core.order",
        normalize=_category_item,
    ),
    SegmentFilter(
        "orders.store",
        "Visited store",
        ValueType.STRING,
        SET_OPS,
        _store,
        description="Store codes of placed orders.",
        permission="core.order",
    ),
)


_ATTRIBUTE_OPS = {
    AttributeType.STRING: (*TEXT_OPS, *PRESENCE_OPS),
    AttributeType.NUMBER: (*ORDER_OPS, *PRESENCE_OPS),
    AttributeType.BOOLEAN: (Op.EQ, *PRESENCE_OPS),
    AttributeType.DATE: (*ORDER_OPS, *PRESENCE_OPS),
    AttributeType.CHOICE: (*EQUALITY_OPS, *PRESENCE_OPS),
}
_ATTRIBUTE_VALUES = {
    AttributeType.STRING: ValueType.STRING,
    AttributeType.NUMBER: ValueType.NUMBER,
    AttributeType.BOOLEAN: ValueType.BOOLEAN,
    AttributeType.DATE: ValueType.DATE,
    AttributeType.CHOICE: ValueType.CHOICE,
}


def attribute_filter(definition: AttributeDefinition) -> SegmentFilter:
    """``attribute.<key>``, typed by its definition (values live in ``customer.attributes``)."""
    kind = definition.type
    element = Customer.attributes[definition.key]
    if kind is AttributeType.NUMBER:
        expr: Any = element.as_float()
    elif kind is AttributeType.BOOLEAN:
        expr = element.as_boolean()
    else:
        expr = element.as_string()

    def compile(op: Op, value: Any) -> ColumnElement[bool]:
        if kind is AttributeType.DATE and value is not None:
            value = (
                [v.isoformat() for v in value] if isinstance(value, tuple) else value.isoformat()
            )
        return compare(expr, op, value)

    return SegmentFilter(
        ATTRIBUTE_PREFIX + definition.key,
        definition.label,
        _ATTRIBUTE_VALUES[kind],
        _ATTRIBUTE_OPS[kind],
        compile,
        description=f"The custom attribute {definition.key}.",
        choices=tuple(definition.choices) if kind is AttributeType.CHOICE else (),
        permission="core.tag",
    )
