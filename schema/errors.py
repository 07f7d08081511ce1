"""How GraphQL errors reach clients: a code in ``extensions``, never a traceback or SQL.

* ``ApiError``s keep their message and code; a ``DomainError`` that escapes a query resolver
  is the client's bad argument (BAD_REQUEST).
* Errors graphql-core reports while parsing (GRAPHQL_PARSE_FAILED) or validating the
  document and coercing variables (GRAPHQL_VALIDATION_FAILED) are the client's. A value a
  custom scalar refused carries that scalar's exception as ``original_error`` and points at
  the document, so it stays a client error.
* Anything else is an internal failure: the client sees "Internal server error" with an
  error id, and the log has the traceback under that id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from unicrm.core.errors import ApiError, DomainError

log = logging.getLogger("unicrm.graphql")

INTERNAL_MESSAGE = "Internal server error"


def is_unexpected(error: GraphQLError) -> bool:
    """Whether ``error`` comes from an exception nobody raised on purpose."""
    original = error.original_error
    if original is None or isinstance(original, ApiError | DomainError | GraphQLError):
        return False
    # Raised while resolving a field, or outside any document location (an extension).
    return error.path is not None or not error.nodes


def _log_unexpected(error: GraphQLError) -> str:
    error_id = uuid.uuid4().hex[:12]
    error.extensions = {**(error.extensions or {}), "errorId": error_id}
    log.error(
        "internal error %s at %s: %s",
        error_id,
        error.path,
        type(error.original_error).__name__,
        exc_info=error.original_error,
    )
    return error_id


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Give every unexpected error an id and log its traceback (``Schema.process_errors``)."""
    for error in errors:
        if is_unexpected(error) and "errorId" not in (error.extensions or {}):
            _log_unexpected(error)


def _client_code(error: GraphQLError) -> str:
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_REQUEST"


def format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {}
    original = error.original_error
    extensions = dict(error.extensions or {})
    if is_unexpected(error):
        error_id = extensions.get("errorId") or _log_unexpected(error)
        out["message"] = INTERNAL_MESSAGE
        extensions = {"code": "INTERNAL", "errorId": error_id}
    elif isinstance(original, ApiError):
        out["message"] = original.message
        extensions.update(original.extensions)
    elif isinstance(original, DomainError):
        out["message"] = str(original)
        extensions["code"] = "BAD_REQUEST"
    else:
        out["message"] = error.message
        extensions.setdefault("code", _client_code(error))
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        out["path"] = list(error.path)
    out["extensions"] = extensions
    return out
