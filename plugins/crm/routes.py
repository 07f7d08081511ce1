"""Public endpoints: the web form and the satisfaction (CSAT and NPS) surveys.

``POST /crm/cases/form`` opens a case from a website's contact form.

Takes JSON or an HTML form post (``name``, ``email``, ``subject``, ``message``, optional
``category``). Answers 201 ``{"case": "<id>"}``, or 400 ``{"errors": [{field, code,
message}]}`` with nothing written.

``GET /crm/surveys/{token}`` shows the survey form; ``POST`` to it (form or JSON: ``score``
1-5, ``comment``) records the answer once. A forged token answers 404, a second answer 409,
a bad score 400. ``/crm/nps/{token}`` does the same for an NPS survey (``score`` 0-10).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from unicrm.core.errors import DomainError
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.mutations import camel
from unicrm.core.state import AppState
from unicrm.plugins.crm.services import nps, surveys
from unicrm.plugins.crm.services.inbound import WebForm, receive_form

MAX_BODY = 65_536
FIELDS = ("name", "email", "subject", "message", "category")


def _bad(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=400)


async def _fields(request: Request, names: tuple[str, ...] = FIELDS) -> dict[str, str] | None:
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
    return {k: str(v) for k in names if isinstance(v := data.get(k), str | int)}


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


SURVEY_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>How did we do?</title>
</head><body><main><h1>ความพึงพอใจ / How did we do?</h1><form method="post">
<p>{choices}</p><p><textarea name="comment" maxlength="2000"></textarea></p>
<button type="submit">ส่ง / Send</button></form></main></body></html>"""
CODES = {"INVALID_TOKEN": 404, "ALREADY_ANSWERED": 409}


def _survey_page(scale: range) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def page(request: Request) -> HTMLResponse:
        state: AppState = request.app.state.unicrm
        secret = state.settings.secret_key.get_secret_value()
        if surveys.read_token(secret, request.path_params["token"]) is None:
            return HTMLResponse(
                "<!doctype html><p>This survey link is not valid.</p>", status_code=404
            )
        choices = " ".join(
            f'<label><input type="radio" name="score" value="{n}" required> {n}</label>'
            for n in scale
        )
        return HTMLResponse(
            SURVEY_PAGE.format(choices=choices), headers={"Cache-Control": "no-store"}
        )

    return page


Answer = Callable[[AsyncSession, str, str, int, str | None], Awaitable[Any]]


def _survey_answer(scale: range, answer: Answer) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def post(request: Request) -> JSONResponse:
        state: AppState = request.app.state.unicrm
        fields = await _fields(request, ("score", "comment"))
        if fields is None or not fields.get("score", "").isdigit():
            message = f"the score runs from {scale.start} to {scale.stop - 1}"
            return _bad([{"field": "score", "code": "INVALID", "message": message}])
        try:
            async with state.db.transaction() as session:
                await answer(
                    session,
                    state.settings.secret_key.get_secret_value(),
                    request.path_params["token"],
                    int(fields["score"]),
                    fields.get("comment"),
                )
        except DomainError as error:
            errors = [
                {"field": e.field, "code": e.code, "message": e.message} for e in error.errors
            ]
            return JSONResponse(
                {"errors": errors}, status_code=CODES.get(error.errors[0].code, 400)
            )
        await state.events.after_commit()
        return JSONResponse({"answered": True})

    return post


ROUTES = [
    Route("/crm/cases/form", case_form, methods=["POST"]),
    Route("/crm/surveys/{token}", _survey_page(surveys.CSAT_SCALE), methods=["GET"]),
    Route(
        "/crm/surveys/{token}",
        _survey_answer(surveys.CSAT_SCALE, surveys.answer),
        methods=["POST"],
    ),
    Route("/crm/nps/{token}", _survey_page(nps.NPS_SCALE), methods=["GET"]),
    Route("/crm/nps/{token}", _survey_answer(nps.NPS_SCALE, nps.answer), methods=["POST"]),
]
