"""The web form endpoint: ``POST /crm/cases/form`` opens a case from a website's contact form.

Takes JSON or an HTML form post (``name``, ``email``, ``subject``, ``message``, optional
``category``). Answers 201 ``{"case": "<id>"}``, or 400 ``{"errors": [{field, code,
message}]}`` with nothing written.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from unicrm.core.errors import DomainError
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.mutations import camel
from unicrm.core.state import AppState
from unicrm.plugins.crm.services.inbound import WebForm, receive_form

MAX_BODY = 65_536
FIELDS = ("name", "email", "subject", "message", "category")


def _bad(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=400)


async def _fields(request: Request) -> dict[str, str] | None:
    body = await request.body()
    if len(body) > MAX_BODY:
        return None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
    else:
        data = dict(await request.form())
    return {k: v for k in FIELDS if isinstance(v := data.get(k), str)}


async def case_form(request: Request) -> JSONResponse:
    state: AppState = request.app.state.unicrm
    fields = await _fields(request)
    if fields is None:
        return _bad([{"field": None, "code": "INVALID", "message": "a JSON object or form post"}])
    form = WebForm(
        name=fields.get("name", "").strip(),
        email=fields.get("email", ""),
        subject=fields.get("subject", ""),
        message=fields.get("message", ""),
        category=fields.get("category") or None,
    )
    settings = state.settings
    try:
        async with state.db.transaction() as session:
            received = await receive_form(
                session, form, settings.zone, settings.crm.reopen_days, settings.crm.inbound_team
            )
    except DomainError as error:
        return _bad(
            [{"field": camel(e.field), "code": e.code, "message": e.message} for e in error.errors]
        )
    await state.events.after_commit()
    return JSONResponse({"case": to_global_id("Case", received.case.id)}, status_code=201)


ROUTES = [Route("/crm/cases/form", case_form, methods=["POST"])]
