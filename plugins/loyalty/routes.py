"""``POST /loyalty/pos/transactions``: a POS pushes a batch of sales (docs/loyalty.md).

The caller authenticates like GraphQL's (an API key or an access token) and needs
``loyalty.points:write``. The body is ``{"transactions": [...]}`` with 1 to ``MAX_BATCH``
sales, each shaped like ``LoyaltyPosSaleInput`` in JSON (camelCase). The batch runs in one
transaction; a sale refused with a typed error has written nothing (``pos.ingest_sale``), so
the batch goes on without savepoints. 207 with one result per sale, in order, each
``earned`` (points, balance, explanation), ``duplicate`` (the first ingestion's points) or
``rejected`` (errors with codes as in GraphQL). 400 for a body that is not such JSON, 401/403
without credentials or permission, 413 for a body or batch too large, 409 (nothing written:
send again) when another transaction ingested one of the batch's keys meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unicrm.core.authz.access import Access
from unicrm.core.authz.authenticate import authenticate, request_department
from unicrm.core.errors import DomainError, Forbidden, NotFound, Unauthenticated
from unicrm.core.graph.mutations import camel
from unicrm.core.state import AppState
from unicrm.plugins.loyalty.models import PosTransaction
from unicrm.plugins.loyalty.services import earn, pos

MAX_BATCH = 1000
PERMISSION = "loyalty.points"


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


class _BadItem(ValueError):
    pass


def _sale(item: Any) -> pos.SaleData:
    """A sale from its JSON, or ``_BadItem`` naming what is wrong."""
    if not isinstance(item, dict):
        raise _BadItem("a sale is an object")
    try:
        lines = [
            earn.Line(
                sku=str(line["sku"]),
                quantity=int(line["quantity"]),
                amount=Decimal(str(line["amount"])),
                category=line.get("category"),
                modifiers=[str(m) for m in line.get("modifiers") or []],
            )
            for line in item.get("lines") or []
        ]
        occurred = item.get("occurredAt")
        occurred_at = None if occurred is None else datetime.fromisoformat(occurred)
        if occurred_at is not None and occurred_at.tzinfo is None:
            raise _BadItem("occurredAt needs a time zone")
        return pos.SaleData(
            store_code=str(item["storeCode"]),
            transaction_id=str(item["transactionId"]),
            currency=str(item["currency"]),
            lines=lines,
            card_number=item.get("cardNumber"),
            phone=item.get("phone"),
            qr_value=item.get("qrValue"),
            occurred_at=occurred_at,
            coupon_code=item.get("couponCode"),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        if isinstance(exc, _BadItem):
            raise
        raise _BadItem(
            f"a sale needs storeCode, transactionId, currency and lines: {exc}"
        ) from None


async def _result(
    session: AsyncSession, sale: pos.SaleData, outcome: pos.Outcome | DomainError
) -> dict[str, Any]:
    result: dict[str, Any] = {"transactionId": sale.transaction_id}
    if isinstance(outcome, pos.DuplicateTransaction):
        first = await session.get_one(PosTransaction, outcome.existing_id)
        return result | {"status": "duplicate", "points": str(first.points)}
    if isinstance(outcome, DomainError):
        return result | {"status": "rejected", "errors": _errors(outcome)}
    return result | {
        "status": "earned",
        "points": str(outcome.transaction.points),
        "balance": None if outcome.balance is None else str(outcome.balance),
        "explanation": outcome.transaction.explanation,
    }


def _errors(error: DomainError) -> list[dict[str, Any]]:
    return [{"field": camel(e.field), "code": e.code, "message": e.message} for e in error.errors]


async def push_transactions(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    try:
        actor = await authenticate(request, state)
        if actor.kind == "anonymous":
            raise Unauthenticated("push transactions with an API key: Authorization: Bearer ...")
        department = await request_department(request, state, actor)
    except Unauthenticated as exc:
        return _error(401, exc.code, exc.message)
    except (Forbidden, NotFound) as exc:
        return _error(403 if isinstance(exc, Forbidden) else 404, exc.code, exc.message)
    if not Access(state.authz, actor.subject, department.slug).allowed(PERMISSION, "write"):
        return _error(403, "FORBIDDEN", f"pushing transactions needs {PERMISSION}:write")
    limit = state.settings.limits_for(department.slug).max_request_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return _error(413, "TOO_LARGE", f"the body is over {limit} bytes")
    body = await request.body()
    if len(body) > limit:
        return _error(413, "TOO_LARGE", f"the body is over {limit} bytes")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    items = data.get("transactions") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        return _error(400, "BAD_REQUEST", 'send {"transactions": [...]} with at least one sale')
    if len(items) > MAX_BATCH:
        return _error(413, "TOO_MANY_TRANSACTIONS", f"a batch holds at most {MAX_BATCH}")
    zone = state.settings.zone
    results: list[dict[str, Any] | None] = []
    sales: list[pos.SaleData] = []
    for item in items:
        try:
            sales.append(_sale(item))
            results.append(None)
        except _BadItem as exc:
            error = {"field": None, "code": "INVALID", "message": str(exc)}
            results.append({"status": "rejected", "errors": [error]})
    try:
        async with state.db.transaction() as session:
            session.info["actor"] = actor
            session.info["department"] = department
            outcomes = iter(zip(sales, await pos.ingest_batch(session, sales, zone), strict=True))
            for i, slot in enumerate(results):
                if slot is None:
                    results[i] = await _result(session, *next(outcomes))
    except IntegrityError:
        return _error(
            409, "CONFLICT", "a transaction of the batch was ingested meanwhile: send again"
        )
    await state.events.after_commit()
    return JSONResponse({"results": results}, 207)


ROUTES = [Route("/loyalty/pos/transactions", push_transactions, methods=["POST"])]
