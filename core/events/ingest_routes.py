"""``POST /events``: integrators push custom events (see ``unicrm.core.events.ingest``).

The caller authenticates like GraphQL's (``Authorization: Bearer`` with an API key or an
access token) and needs ``core.event_ingest:write`` in its department; the permission's row
scope limits the customers it may name (``department``: its department's customers). The body is one event
object or ``{"events": [...]}`` with up to ``MAX_BATCH`` events. Answers:

* 207 with one result per event (accepted, possibly as a ``duplicate``, or rejected with a
  code) once the body was read: the accepted events are stored, the rejected ones are not;
* 400 for a body that is not such JSON, 401 for a missing or refused credential, 403 without
  the permission (or an API key used in another department), 404 for an unknown
  department (``UniCRM-Department``), 413 for a body over the
  department's ``max_request_bytes`` or a batch over ``MAX_BATCH``, 429 over the caller's rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unicrm.core.authz.access import Access
from unicrm.core.authz.authenticate import authenticate, request_department
from unicrm.core.authz.rows import visible
from unicrm.core.errors import Forbidden, NotFound, Unauthenticated
from unicrm.core.events.ingest import MAX_BATCH, ingest
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.state import AppState

PERMISSION = "core.event_ingest"


@dataclass(frozen=True, slots=True)
class _Caller:
    """What ``visible`` needs to know of the caller to scope the customers it may name."""

    access: Access
    department: DepartmentInfo
    actor: Actor


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


async def _body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it grows past ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _events(body: bytes) -> list[Any] | None:
    """The events of a body, or None for a body that is not one event or a batch."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    if "events" in data:
        events = data["events"]
        return events if isinstance(events, list) and events and len(data) == 1 else None
    return [data]


async def push_events(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    try:
        actor = await authenticate(request, state)
        if actor.kind == "anonymous":
            raise Unauthenticated("push events with an API key: Authorization: Bearer ucrm_...")
        department = await request_department(request, state, actor)
    except Unauthenticated as exc:
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return _error(401, exc.code, exc.message, challenge)
    except (Forbidden, NotFound) as exc:
        return _error(403 if isinstance(exc, Forbidden) else 404, exc.code, exc.message)
    caller = _Caller(Access(state.authz, actor.subject, department.slug), department, actor)
    if not caller.access.allowed(PERMISSION, "write"):
        return _error(403, "FORBIDDEN", f"pushing events needs {PERMISSION}:write")
    scope = visible(
        caller,
        PERMISSION,
        owner=Customer.owner_id,
        department=Customer.department_id,
        action="write",
    )
    limits = state.settings.limits_for(department.slug)
    wait = await state.rate_limiter.retry_after(f"{department.slug}:{actor.subject}", limits)
    if wait is not None:
        return _error(
            429, "RATE_LIMITED", f"too many requests: retry in {wait} s", {"Retry-After": str(wait)}
        )
    body = await _body(request, limits.max_request_bytes)
    if body is None:
        return _error(413, "TOO_LARGE", f"the body is over {limits.max_request_bytes} bytes")
    events = _events(body)
    if events is None:
        return _error(
            400, "BAD_REQUEST", 'send one event object or {"events": [...]} with at least one'
        )
    if len(events) > MAX_BATCH:
        return _error(413, "TOO_MANY_EVENTS", f"a batch holds at most {MAX_BATCH} events")
    async with state.db.transaction() as session:
        session.info["actor"] = actor
        outcome = await ingest(session, events, actor.subject, scope)
    await state.events.after_commit()
    return JSONResponse(outcome.as_json(), 207)


ROUTES = [Route("/events", push_events, methods=["POST"])]
