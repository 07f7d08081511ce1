"""GraphQL over HTTP: POST JSON, GET for queries only, per-department schemas, orjson out.

The department comes from ``/graphql/{department}``, else the ``UniCRM-Department`` header,
else the caller's primary department (until sign-in exists: the default department).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from unicrm.core.state import AppState
from unicrm.schema.context import make_context
from unicrm.schema.errors import format_error

DEPARTMENT_HEADER = "unicrm-department"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _json(body: Any, status: int = 200, media_type: str = "application/json") -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media_type)


def _error(message: str, status: int, code: str = "BAD_REQUEST") -> Response:
    return _json({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


async def _read_params(request: Request, limit: int) -> dict[str, Any] | Response:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        if "variables" in params:
            try:
                params["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                return _error("variables must be a JSON object", 400)
        return params
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return _error(f"request body over {limit} bytes", 413, "REQUEST_TOO_LARGE")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return _error(f"request body over {limit} bytes", 413, "REQUEST_TOO_LARGE")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _error("send GraphQL requests as application/json", 415, "UNSUPPORTED_MEDIA_TYPE")
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error("the body is not valid JSON", 400)
    if not isinstance(params, dict):
        return _error("the body must be a JSON object", 400)
    return params


async def graphql_endpoint(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    slug = request.path_params.get("department") or request.headers.get(DEPARTMENT_HEADER)
    department = await state.departments.get(slug)
    if department is None:
        return _error(
            f"no department {slug!r}" if slug else "no department exists", 404, "NOT_FOUND"
        )

    accept = request.headers.get("accept", "")
    if (
        request.method == "GET"
        and "text/html" in accept
        and "query" not in request.query_params
        and state.settings.graphiql_enabled
    ):
        return HTMLResponse(get_graphql_ide_html(graphql_ide="graphiql"))

    params = await _read_params(request, state.settings.limits.max_request_bytes)
    if isinstance(params, Response):
        return params
    query = params.get("query")
    variables = params.get("variables")
    operation_name = params.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return _error("the request has no query", 400)
    if variables is not None and not isinstance(variables, dict):
        return _error("variables must be a JSON object", 400)
    if operation_name is not None and not isinstance(operation_name, str):
        return _error("operationName must be a string", 400)

    schema = state.schema_for(department.plugins)
    context = make_context(state, department, request=request)
    allowed = (
        (OperationType.QUERY,)
        if request.method == "GET"
        else (OperationType.QUERY, OperationType.MUTATION)
    )
    try:
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
            allowed_operation_types=allowed,
        )
    except InvalidOperationTypeError as exc:
        return _error(exc.as_http_error_reason(request.method), 405, "METHOD_NOT_ALLOWED")

    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [format_error(e) for e in result.errors]
    if result.data is not None or not result.errors:
        body["data"] = result.data
    media_type = GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else "application/json"
    status = 200
    if "data" not in body and media_type == GRAPHQL_RESPONSE:
        status = 400
    return _json(body, status, media_type)
