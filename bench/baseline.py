"""The benchmark's reference: a minimal Starlette + asyncpg endpoint answering scenarios 1 and 2
with one hand-written SQL statement each, returning the same bytes as UniCRM (never run by CI).

.venv/bin/uvicorn bench.baseline:app --port 8200 [--workers 2]
    (UNICRM_BENCH_DSN=postgresql://postgres@127.0.0.1/unicrm_bench)

It knows only the two operations of bench/scenarios.py, recognised by operation name. The
statement builds the whole response as JSON in PostgreSQL; Python re-serializes it compactly
with orjson, because PostgreSQL's JSON text has spaces UniCRM's has not.
"""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ.get("UNICRM_BENCH_DSN", "postgresql://postgres@127.0.0.1/unicrm_bench")
PAGE = 50


def gid(type_name: str, column: str) -> str:
    """SQL for ``to_global_id(type_name, column)``: unpadded base64url of ``Type:<hex>``."""
    raw = f"convert_to('{type_name}:' || replace({column}::text, '-', ''), 'UTF8')"
    return f"rtrim(translate(encode({raw}, 'base64'), '+/', '-_'), '=')"


def money(column: str, currency: str) -> str:
    return (
        f"json_build_object('amount', ({column}::numeric / 10000)::numeric(38, 4)::text,"
        f" 'currency', {currency})"
    )


def array(select: str, order: str, source: str) -> str:
    return f"coalesce((SELECT json_agg({select} ORDER BY {order}) FROM {source}), '[]')"


STAGE = "(SELECT json_build_object('name', s.name) FROM sfa_stage s WHERE s.id = d.stage_id)"

CUSTOMER_360_SQL = f"""
SELECT json_build_object('customer', (
  SELECT json_build_object(
    'id', {gid("Customer", "c.id")},
    'kind', upper(c.kind),
    'displayName', c.display_name,
    'firstName', c.first_name,
    'lastName', c.last_name,
    'birthDate', c.birth_date,
    'createdAt', c.created_at,
    'emails', {
    array(
        "json_build_object('address', e.address, 'isPrimary', e.is_primary)",
        "e.is_primary DESC, e.created_at, e.id",
        "customer_email e WHERE e.customer_id = c.id",
    )
},
    'phones', {
    array(
        "json_build_object('number', p.number, 'isPrimary', p.is_primary)",
        "p.is_primary DESC, p.created_at, p.id",
        "customer_phone p WHERE p.customer_id = c.id",
    )
},
    'identities', {
    array(
        "json_build_object('source', upper(i.source), 'externalId', i.external_id)",
        "i.created_at, i.id",
        "customer_identity i WHERE i.customer_id = c.id",
    )
},
    'consents', {
    array(
        "json_build_object('purpose', upper(s.purpose), 'channel', upper(s.channel),"
        " 'status', upper(s.status), 'updatedAt', s.updated_at)",
        "s.purpose, s.channel",
        "consent_state s WHERE s.customer_id = c.id",
    )
},
    'tags', {
    array(
        "json_build_object('name', t.name)",
        "t.name_key",
        "customer_tag ct JOIN tag t ON t.id = ct.tag_id WHERE ct.customer_id = c.id",
    )
},
    'latestOrders', {
    array(
        f"json_build_object('id', {gid('Order', 'o.id')}, 'placedAt', o.placed_at,"
        f" 'storeCode', o.store_code, 'total', {money('o.total', 'o.currency')}, 'lines', "
        + array(
            f"json_build_object('sku', l.sku, 'name', l.name, 'quantity', l.quantity,"
            f" 'lineTotal', {money('l.line_total', 'o.currency')})",
            "l.position",
            "order_line l WHERE l.order_id = o.id",
        )
        + ")",
        "o.placed_at DESC, o.id DESC",
        "(SELECT * FROM customer_order WHERE customer_id = c.id"
        " ORDER BY placed_at DESC, id DESC LIMIT 10) o",
    )
},
    'deals', {
    array(
        f"json_build_object('id', {gid('Deal', 'd.id')}, 'title', d.title, 'stage', {STAGE},"
        f" 'amount', {money('d.amount', 'd.currency')})",
        "d.created_at DESC, d.id DESC",
        "sfa_deal d WHERE d.customer_id = c.id",
    )
},
    'cases', {
    array(
        f"json_build_object('id', {gid('Case', 'k.id')}, 'subject', k.subject,"
        " 'status', upper(k.status), 'priority', upper(k.priority), 'openedAt', k.opened_at)",
        "k.opened_at DESC, k.id DESC",
        "crm_case k WHERE k.customer_id = c.id",
    )
},
    'salesActivities', {
    array(
        f"json_build_object('id', {gid('Activity', 'a.id')}, 'kind', upper(a.kind),"
        " 'subject', a.subject, 'occurredAt', a.occurred_at)",
        "a.occurred_at DESC, a.id DESC",
        "(SELECT * FROM sfa_activity WHERE customer_id = c.id"
        " ORDER BY occurred_at DESC, id DESC LIMIT 10) a",
    )
},
    'loyaltyMember', (
      SELECT json_build_object('id', {gid("LoyaltyMember", "m.id")}, 'cardNumber', m.card_number,
        'tier', m.tier, 'pointsBalance', m.points_balance::text, 'ledger', {
    array(
        "json_build_object('kind', upper(b.kind), 'points', b.points::text,"
        " 'balanceAfter', b.balance_after::text, 'createdAt', b.created_at)",
        "b.created_at DESC, b.id DESC",
        "(SELECT * FROM loyalty_ledger_entry WHERE member_id = m.id"
        " ORDER BY created_at DESC, id DESC LIMIT 10) b",
    )
})
      FROM loyalty_member m WHERE m.customer_id = c.id)
  )
  FROM customer c WHERE c.id = $1
))::text
"""

CURSOR = (
    "rtrim(translate(replace(encode(convert_to('[[\"v\",' || to_json(c.display_name)::text"
    " || '],[\"u\",\"' || replace(c.id::text, '-', '') || '\"]]', 'UTF8'), 'base64'),"
    " E'\\n', ''), '+/', '-_'), '=')"
)


def _list_sql(after: bool) -> str:
    """Scenario 2: the first page, or the page after a cursor (two statements, so each uses
    the (display_name, id) index)."""
    where = "WHERE (c.display_name, c.id) > ($1::text, $2::uuid)" if after else ""
    return f"""
WITH page AS (
  SELECT c.*, row_number() OVER (ORDER BY c.display_name, c.id) AS n
  FROM customer c
  {where}
  ORDER BY c.display_name, c.id
  LIMIT {PAGE + 1}
)
SELECT json_build_object('customers', json_build_object(
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) > {PAGE} FROM page),
    'endCursor', (SELECT {CURSOR} FROM page c WHERE n = least({PAGE}, (SELECT count(*) FROM page)))
  ),
  'edges', {
        array(
            f"json_build_object('cursor', {CURSOR}, 'node', json_build_object("
            f"'id', {gid('Customer', 'c.id')}, 'displayName', c.display_name, 'loyaltyMember', "
            "(SELECT json_build_object('tier', m.tier) FROM loyalty_member m"
            " WHERE m.customer_id = c.id), 'deals', "
            + array(
                f"json_build_object('id', {gid('Deal', 'd.id')}, 'title', d.title,"
                f" 'stage', {STAGE})",
                "d.created_at DESC, d.id DESC",
                "sfa_deal d WHERE d.customer_id = c.id",
            )
            + "))",
            "c.n",
            f"page c WHERE c.n <= {PAGE}",
        )
    }
))::text
"""


FIRST_PAGE_SQL, NEXT_PAGE_SQL = _list_sql(after=False), _list_sql(after=True)


def _decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    (_, name), (_, hex_id) = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * 4))
    return name, uuid.UUID(hex=hex_id)


def _customer_id(global_id: str) -> uuid.UUID | None:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    type_name, _, hex_id = raw.partition(":")
    return uuid.UUID(hex=hex_id) if type_name == "Customer" else None


async def graphql(request: Request) -> Response:
    body: dict[str, Any] = orjson.loads(await request.body())
    variables = body.get("variables") or {}
    pool: asyncpg.Pool = request.app.state.pool
    if body.get("operationName") == "Customer360":
        text = await pool.fetchval(CUSTOMER_360_SQL, _customer_id(variables["id"]))
    elif body.get("operationName") == "CustomerList":
        after = variables.get("after")
        if after is None:
            text = await pool.fetchval(FIRST_PAGE_SQL)
        else:
            text = await pool.fetchval(NEXT_PAGE_SQL, *_decode_cursor(after))
    else:
        return Response(b'{"errors":[{"message":"unknown operation"}]}', status_code=400)
    data = orjson.dumps(orjson.loads(text))
    return Response(b'{"data":' + data + b"}", media_type="application/json")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        DSN, min_size=4, max_size=16, server_settings={"timezone": "UTC"}
    )
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)
