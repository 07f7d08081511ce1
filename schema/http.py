"""GraphQL over HTTP: POST JSON, GET for queries only, per-department schemas, orjson out.

Follows the GraphQL-over-HTTP draft (https://graphql.github.io/graphql-over-http/draft/):

* The response media type is negotiated from ``Accept``: ``application/graphql-response+json``
  or ``application/json`` (``*/*`` gets the latter; no ``Accept`` at all gets the former, as
  the spec asks since 2025); neither acceptable is 406. Both are sent with ``charset=utf-8``.
* A request that is not a well-formed GraphQL-over-HTTP request (bad JSON, a body that is not
  an object, a missing ``query``, ill-typed ``variables``/``operationName``/``extensions``)
  is 400 whatever the media type; a JSON array (batching) is not supported and is 400 too.
  A body over the department's ``max_request_bytes`` is 413 before anything is parsed.
* A request error found before execution (parse, validation, unknown operation, variable
  coercion) is 400 with ``application/graphql-response+json`` and 200 with
  ``application/json``; either way the body has no ``data`` entry. Once execution starts the
  status is 200 and ``data`` is present, even when it is null.
* A mutation over GET is 405 with ``Allow: POST``; subscriptions are served over WebSocket only.
* An actor over its department's rate is 429 with ``Retry-After`` (``unicrm.core.ratelimit``);
  persisted-query refusals are 400 (``unicrm.schema.persisted``).

The department comes from ``/graphql/{department}``, else the ``UniCRM-Department`` header,
else the caller's own (an API key's, a user's primary one), else the default
(``unicrm.core.authz.authenticate``). The caller is authenticated first: a bad credential is
401 with ``WWW-Authenticate``, an API key used in another department 403.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from unicrm.core.authz.authenticate import authenticate, request_department
from unicrm.core.config import Limits
from unicrm.core.db.reads import RequestReads
from unicrm.core.errors import Forbidden, NotFound, Unauthenticated
from unicrm.core.graph.context import Actor
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.ratelimit import rate_limit_key
from unicrm.core.state import AppState
from unicrm.schema.context import make_context
from unicrm.schema.errors import format_error
from unicrm.schema.persisted import PersistedQueryError

log = logging.getLogger("unicrm.http")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERIES_ONLY = (OperationType.QUERY,)
QUERIES_AND_MUTATIONS = (OperationType.QUERY, OperationType.MUTATION)


class HttpError(Exception):
    """A request refused before GraphQL sees it; becomes ``{"errors": [...]}`` with a status."""

    def __init__(
        self, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers


def bad_request(message: str) -> HttpError:
    return HttpError(400, message, "BAD_REQUEST")


def _respond(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        headers=headers,
        media_type=f"{media_type}; charset=utf-8",
    )


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _parse_media(value: str) -> tuple[str, dict[str, str]]:
    """``"Application/JSON; charset=UTF-8"`` → ``("application/json", {"charset": "UTF-8"})``."""
    media, *params = value.split(";")
    parsed = {}
    for param in params:
        name, _, raw = param.partition("=")
        parsed[name.strip().lower()] = raw.strip().strip('"')
    return media.strip().lower(), parsed


def _quality(params: dict[str, str]) -> float:
    try:
        return float(params.get("q", "1"))
    except ValueError:
        return 0.0


def negotiate(accept: str | None) -> str | None:
    """The response media type ``accept`` prefers, or None when it accepts neither."""
    if accept is None or not accept.strip():
        return GRAPHQL_RESPONSE
    chosen: str | None = None
    best: tuple[float, int, int] | None = None
    for index, part in enumerate(accept.split(",")):
        media, params = _parse_media(part)
        quality = _quality(params)
        if media in (GRAPHQL_RESPONSE, JSON):
            target, specificity = media, 1
        elif media in ("*/*", "application/*"):
            target, specificity = JSON, 0
        else:
            continue
        rank = (quality, specificity, -index)
        if quality > 0 and (best is None or rank > best):
            chosen, best = target, rank
    return chosen


def _json_param(raw: str, name: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_request(f"{name} must be a JSON-encoded object") from None


def _get_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    for name in ("variables", "extensions"):
        if name in params:
            params[name] = _json_param(params[name], name) if params[name] else None
    return params


async def _read_body(request: Request, limit: int) -> bytes:
    too_large = HttpError(
        413, f"the request body is over {limit} bytes", "REQUEST_TOO_LARGE", {"Connection": "close"}
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large
    except ClientDisconnect:
        # Nobody is left to answer; not a server error.
        raise HttpError(400, "the client closed the connection", "CLIENT_DISCONNECTED") from None
    return bytes(body)


async def _post_params(request: Request, limit: int) -> dict[str, Any]:
    media, params = _parse_media(request.headers.get("content-type", ""))
    if media != JSON:
        raise HttpError(415, "send GraphQL requests as application/json", "UNSUPPORTED_MEDIA_TYPE")
    if params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        raise HttpError(415, "send GraphQL requests in UTF-8", "UNSUPPORTED_MEDIA_TYPE")
    body = await _read_body(request, limit)
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("the body is not valid JSON") from None
    if isinstance(parsed, list):
        raise bad_request("batched requests are not supported: send one operation per request")
    if not isinstance(parsed, dict):
        raise bad_request("the body must be a JSON object with a query")
    return parsed


def _checked(params: dict[str, Any]) -> tuple[str, dict | None, str | None, dict | None]:
    query = params.get("query")
    if query is None or (isinstance(query, str) and not query.strip()):
        raise bad_request("the request has no query")
    if not isinstance(query, str):
        raise bad_request("query must be a string")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise bad_request("variables must be a JSON object")
    operation_name = params.get("operationName")
    if operation_name == "":
        operation_name = None
    if operation_name is not None and not isinstance(operation_name, str):
        raise bad_request("operationName must be a string")
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise bad_request("extensions must be a JSON object")
    return query, variables, operation_name, extensions


def _wants_ide(request: Request, state: AppState) -> bool:
    return (
        request.method != "POST"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
        and state.settings.graphiql_enabled
    )


def _status(errors: list[dict[str, Any]], executed: bool, media_type: str) -> int:
    if executed or media_type == JSON:
        return 200
    return 500 if any(e.get("extensions", {}).get("code") == "INTERNAL" for e in errors) else 400


async def _caller(request: Request, state: AppState) -> tuple[Actor, DepartmentInfo]:
    """Who is calling and in which department; a refused credential is 401, another
    department than an API key's is 403, an unknown department 404."""
    try:
        actor = await authenticate(request, state)
        return actor, await request_department(request, state, actor)
    except Unauthenticated as exc:
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise HttpError(401, exc.message, exc.code, challenge) from None
    except (Forbidden, NotFound) as exc:
        raise HttpError(403 if isinstance(exc, Forbidden) else 404, exc.message, exc.code) from None


async def _rate_limit(
    request: Request, state: AppState, department: str, limits: Limits, actor: Actor
) -> None:
    """429 with ``Retry-After`` when the actor has used up its requests in ``department``;
    signed-in actors are counted by who they are, anonymous callers by their address."""
    who = rate_limit_key(request) if actor.kind == "anonymous" else actor.subject
    key = f"{department}:{who}"
    wait = await state.rate_limiter.retry_after(key, limits)
    if wait is not None:
        message = f"too many requests: retry in {wait} s"
        raise HttpError(429, message, "RATE_LIMITED", {"Retry-After": str(wait)})


async def _execute(request: Request, state: AppState, media_type: str) -> Response:
    post = request.method == "POST"
    actor, department = await _caller(request, state)
    limits = state.settings.limits_for(department.slug)
    await _rate_limit(request, state, department.slug, limits, actor)

    params = await _post_params(request, limits.max_request_bytes) if post else _get_params(request)
    try:
        params = request.app.state.persisted_queries.resolve(params)
    except PersistedQueryError as exc:
        raise HttpError(400, exc.message, exc.code) from None
    query, variables, operation_name, extensions = _checked(params)

    schema = state.schema_for(department.plugins)
    context = make_context(state, department, actor, request=request)
    context.reads = RequestReads(state.db)
    try:
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
            allowed_operation_types=QUERIES_AND_MUTATIONS if post else QUERIES_ONLY,
            operation_extensions=extensions,
        )
    except InvalidOperationTypeError as exc:
        if exc.operation_type is OperationType.SUBSCRIPTION:
            message = "subscriptions are served over WebSocket (graphql-transport-ws)"
            raise bad_request(message) from None
        raise HttpError(
            405, exc.as_http_error_reason(request.method), "METHOD_NOT_ALLOWED", {"Allow": "POST"}
        ) from None
    except CannotGetOperationTypeError as exc:
        body = _error_body(exc.as_http_error_reason(), "GRAPHQL_VALIDATION_FAILED")
        return _respond(body, 200 if media_type == JSON else 400, media_type)
    finally:
        await context.reads.close()

    body: dict[str, Any] = {}
    errors = [format_error(e) for e in result.errors or ()]
    if errors:
        body["errors"] = errors
    # Errors raised while executing carry a path; without one, execution never started.
    executed = result.data is not None or not errors or any("path" in e for e in errors)
    if executed:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return _respond(body, _status(errors, executed, media_type), media_type)


async def graphql_endpoint(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    if _wants_ide(request, state):
        return HTMLResponse(get_graphql_ide_html(graphql_ide="graphiql"))
    media_type = negotiate(request.headers.get("accept"))
    if media_type is None:
        body = _error_body(f"accepts only {GRAPHQL_RESPONSE} or {JSON}", "NOT_ACCEPTABLE")
        return _respond(body, 406, JSON)
    try:
        return await _execute(request, state, media_type)
    except HttpError as exc:
        return _respond(_error_body(exc.message, exc.code), exc.status, media_type, exc.headers)
    except Exception:
        error_id = uuid.uuid4().hex[:12]
        log.exception("internal error %s serving %s", error_id, request.url.path)
        body = _error_body("Internal server error", "INTERNAL")
        body["errors"][0]["extensions"]["errorId"] = error_id
        return _respond(body, 500, media_type)
