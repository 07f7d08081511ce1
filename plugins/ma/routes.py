"""MA's public HTTP routes: tracking without JavaScript, and form submissions.

* ``GET /t/v?u=<page URL>``: a page view (embed as ``<img src=".../t/v?u=...">``; the
  ``Referer`` is the page when ``u`` is absent). Answers a 1x1 GIF.
* ``GET|POST /t/e?n=<name>&u=<URL>``: a custom event. Answers a 1x1 GIF.
* ``GET /t/o/{token}.gif``: the open pixel of a message. Answers a 1x1 GIF.
* ``GET /t/c/{token}``: a click on a link of a message; redirects (302) to that link only.
* ``POST /f/{form key}``: a form submission (JSON or a urlencoded HTML form).

The visitor id lives in the ``ucrm_vid`` cookie (a ``vid`` parameter overrides it, for
server-side tracking); a browser without one gets one.
"""

from __future__ import annotations

import base64
import html
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from unicrm.core.config import Limits
from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError
from unicrm.core.messaging.runtime import current
from unicrm.core.ratelimit import rate_limit_key
from unicrm.core.state import AppState
from unicrm.plugins.ma.models import EngagementKind
from unicrm.plugins.ma.services import forms, tokens, tracking

COOKIE = "ucrm_vid"
COOKIE_AGE = 400 * 86400
GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private"}


def visitor_of(request: Request) -> tuple[uuid.UUID, bool]:
    """The request's visitor id and whether it is new (to be set as a cookie)."""
    for given in (request.query_params.get("vid"), request.cookies.get(COOKIE)):
        try:
            return uuid.UUID(given or ""), False
        except ValueError:
            continue
    return uuid7(), True


def _with_visitor(response: Response, request: Request, visitor: uuid.UUID, new: bool) -> Response:
    if new or request.cookies.get(COOKIE) != str(visitor):
        response.set_cookie(
            COOKIE,
            str(visitor),
            max_age=COOKIE_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


def _gif() -> Response:
    return Response(GIF, media_type="image/gif", headers=NO_STORE)


def _bad(message: str, status: int = 400) -> Response:
    return Response(message, status_code=status, media_type="text/plain", headers=NO_STORE)


async def _visit(request: Request, kind: EngagementKind) -> Response:
    state: AppState = request.app.state.unicrm
    visitor, new = visitor_of(request)
    params = request.query_params
    url = params.get("u") or (
        request.headers.get("referer") if kind is EngagementKind.PAGE_VIEW else None
    )
    try:
        async with state.db.transaction() as session:
            await tracking.record_visit(
                session, visitor, request.headers, kind=kind, url=url, name=params.get("n")
            )
    except tracking.TrackingError as exc:
        return _bad(str(exc))
    return _with_visitor(_gif(), request, visitor, new)


async def page_view(request: Request) -> Response:
    return await _visit(request, EngagementKind.PAGE_VIEW)


async def custom_event(request: Request) -> Response:
    return await _visit(request, EngagementKind.CUSTOM)


async def open_pixel(request: Request) -> Response:
    """Always the GIF (a mail client shows a broken image otherwise); a forged token or an
    unknown message records nothing."""
    state: AppState = request.app.state.unicrm
    message_id = tokens.verify(current().secret, "open", request.path_params["token"])
    if message_id is not None:
        async with state.db.transaction() as session:
            hit = await tracking.record_open(session, message_id, request.headers)
        if hit is not None:
            await state.events.after_commit()
    return _gif()


NOT_FOUND_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="robots" content="noindex"><title>Link not valid</title></head>
<body><main><h1>Link not valid</h1><p>This link is not valid.</p></main></body></html>"""


async def click(request: Request) -> Response:
    """Redirects only to the URL the token's tracked link holds: a link of a sent message."""
    state: AppState = request.app.state.unicrm
    link_id = tokens.verify(current().secret, "click", request.path_params["token"])
    if link_id is None:
        return HTMLResponse(NOT_FOUND_PAGE, 404, headers=NO_STORE)
    visitor, new = visitor_of(request)
    async with state.db.transaction() as session:
        found = await tracking.record_click(session, link_id, visitor, request.headers)
    if found is None:
        return HTMLResponse(NOT_FOUND_PAGE, 404, headers=NO_STORE)
    await state.events.after_commit()
    url, hit = found
    response = RedirectResponse(url, 302, headers=NO_STORE)
    return _with_visitor(response, request, visitor, new) if hit.counted else response


MAX_FORM_BODY = 65_536
THANKS_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="robots" content="noindex"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>Thank you, we have received your answers.</p></main></body></html>"""


def _form_error(status: int, code: str, message: str, **headers: str) -> Response:
    return JSONResponse(
        {"errors": [{"field": None, "code": code, "message": message}]},
        status,
        headers={**NO_STORE, **headers},
    )


async def _form_values(request: Request) -> dict[str, Any] | None:
    """The submitted values (JSON object or urlencoded/multipart form), None if unreadable."""
    body = await request.body()
    if len(body) > MAX_FORM_BODY:
        return None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None
    async with request.form(max_files=0) as submitted:
        return {k: submitted.getlist(k) for k in submitted}


async def submit_form(request: Request) -> Response:
    """A form submission: 200 accepted, 404 no such active form, 400 an unreadable or too
    large body, 422 with ``errors`` for bad answers (nothing stored), 429 over the form's
    rate per client address. A filled honeypot is answered like a success; nothing is stored."""
    state: AppState = request.app.state.unicrm
    async with state.db.session() as session:
        form = await forms.form_by_key(session, request.path_params["key"])
    if form is None:
        return _form_error(404, "NOT_FOUND", "no such form")
    limits = Limits(
        requests_per_second=form.submissions_per_minute / 60, burst=form.submissions_per_minute
    )
    wait = await state.rate_limiter.retry_after(
        f"ma.form:{form.id}:{rate_limit_key(request)}", limits
    )
    if wait is not None:
        return _form_error(
            429,
            "RATE_LIMITED",
            f"too many submissions: retry in {wait} s",
            **{"Retry-After": str(wait)},
        )
    values = await _form_values(request)
    if values is None:
        return _form_error(
            400, "BAD_REQUEST", f"send a JSON object or a form of at most {MAX_FORM_BODY} bytes"
        )
    wants_json = "application/json" in request.headers.get("accept", "") or request.headers.get(
        "content-type", ""
    ).startswith("application/json")
    thanks = (
        JSONResponse({"status": "accepted"}, headers=NO_STORE)
        if wants_json
        else HTMLResponse(THANKS_PAGE.format(title=html.escape(form.name)), headers=NO_STORE)
    )
    if forms.text_of(values.get(forms.HONEYPOT)):
        return thanks
    visitor, new = visitor_of(request)
    try:
        async with state.db.transaction() as session:
            await forms.submit(session, form, values, visitor)
    except DomainError as error:
        return JSONResponse(
            {
                "errors": [
                    {"field": e.field, "code": e.code, "message": e.message} for e in error.errors
                ]
            },
            422,
            headers=NO_STORE,
        )
    await state.events.after_commit()
    return _with_visitor(thanks, request, visitor, new)


ROUTES = [
    Route("/t/v", page_view, methods=["GET"]),
    Route("/t/e", custom_event, methods=["GET", "POST"]),
    Route("/t/o/{token}.gif", open_pixel, methods=["GET"]),
    Route("/t/c/{token}", click, methods=["GET"]),
    Route("/f/{key}", submit_form, methods=["POST"]),
]
