"""Messaging's HTTP routes: one-click unsubscribe (RFC 8058) and provider status callbacks.

* ``GET /messaging/unsubscribe/{token}`` shows a confirmation page with a button;
  ``POST`` to the same address (what mail clients send for ``List-Unsubscribe-Post``)
  unsubscribes: marketing consent on the channel is withdrawn, the address suppressed for
  marketing, and the message marked unsubscribed.
* ``POST /messaging/callbacks/{channel}``: a provider reports ``delivered``, ``opened``,
  ``clicked``, ``bounced`` (``"bounce": "hard" | "soft"``), ``complained`` or ``failed`` for a
  message, by ``provider_id`` or ``message_id``. Signed: ``UniCRM-Timestamp`` (Unix seconds)
  and ``UniCRM-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``.
"""

from __future__ import annotations

import hmac
import html
import time
import uuid

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from unicrm.core.messaging import services
from unicrm.core.messaging.models import Message
from unicrm.core.messaging.runtime import current
from unicrm.core.messaging.tokens import (
    CALLBACK_MAX_AGE_SECONDS,
    callback_key,
    callback_signature,
    read_unsubscribe_token,
)
from unicrm.core.state import AppState

MAX_BODY = 16_384
NO_STORE = {"Cache-Control": "no-store"}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""

FORM = """<form method="post" action="{action}">
<button type="submit">ยกเลิกการรับข่าวสาร / Unsubscribe</button></form>"""


def _page(title: str, text: str, form: str = "", status: int = 200) -> HTMLResponse:
    body = PAGE.format(title=html.escape(title), text=html.escape(text), form=form)
    return HTMLResponse(body, status_code=status, headers=NO_STORE)


def _gone() -> HTMLResponse:
    return _page("Link not valid", "This unsubscribe link is not valid.", status=404)


async def unsubscribe_page(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    token = request.path_params["token"]
    message_id = read_unsubscribe_token(current().secret, token)
    if message_id is None:
        return _gone()
    if request.method == "GET":
        async with state.db.session() as session:
            message = await session.get(Message, message_id)
        if message is None:
            return _gone()
        action = html.escape(request.url.path, quote=True)
        return _page(
            "Unsubscribe",
            f"Stop marketing messages over {message.channel}?",
            FORM.format(action=action),
        )
    async with state.db.transaction() as session:
        message = await services.unsubscribe(session, message_id)
    if message is None:
        return _gone()
    await state.events.after_commit()
    return _page(
        "Unsubscribed", f"You will no longer get marketing messages over {message.channel}."
    )


def _refused(error: str, status: int) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=NO_STORE)


async def provider_callback(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    rt = current()
    channel = request.path_params["channel"]
    if channel not in rt.channels:
        return _refused("unknown channel", 404)
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refused("body too large", 413)
    stamp = request.headers.get("unicrm-timestamp", "")
    given = request.headers.get("unicrm-signature", "")
    key = callback_key(rt.secret, rt.settings.callback_secret.get_secret_value())
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > CALLBACK_MAX_AGE_SECONDS:
        return _refused("missing or stale UniCRM-Timestamp", 401)
    if not hmac.compare_digest(given, callback_signature(key, stamp, body)):
        return _refused("bad signature", 401)
    try:
        data = orjson.loads(body)
        event = data["event"]
        if event not in services.CALLBACK_STATUSES:
            raise ValueError(event)
        message_id = uuid.UUID(data["message_id"]) if data.get("message_id") else None
        provider_id = data.get("provider_id")
        if message_id is None and not isinstance(provider_id, str):
            raise ValueError("message_id or provider_id")
        hard = data.get("bounce", "hard") != "soft"
        reason = data.get("reason")
    except (ValueError, KeyError, TypeError, AttributeError):
        return _refused(
            "expected {event, message_id or provider_id, bounce?, reason?} with event one of "
            + ", ".join(services.CALLBACK_STATUSES),
            400,
        )
    async with state.db.transaction() as session:
        message = await services.record_callback(
            session,
            channel=channel,
            provider_id=provider_id,
            message_id=message_id,
            event=event,
            hard=hard,
            reason=reason if isinstance(reason, str) else None,
        )
    if message is None:
        return _refused("no such message", 404)
    await state.events.after_commit()
    return JSONResponse({"status": message.status.value}, headers=NO_STORE)


ROUTES = [
    Route("/messaging/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"]),
    Route("/messaging/callbacks/{channel}", provider_callback, methods=["POST"]),
]
