"""How GraphQL errors reach clients: a code in ``extensions``, never a traceback or SQL.

``ApiError``s keep their message and code. Errors graphql-core raises while parsing or
validating are the client's (GRAPHQL_VALIDATION_FAILED). Anything else is an internal
failure: the client sees "Internal server error" with an error id, and the log has the
traceback under that id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import GraphQLError

from unicrm.core.errors import ApiError

log = logging.getLogger("unicrm.graphql")


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, ApiError | GraphQLError)


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if _is_unexpected(error):
            error_id = uuid.uuid4().hex[:12]
            error.extensions = {**(error.extensions or {}), "errorId": error_id}
            log.error(
                "internal error %s at %s", error_id, error.path, exc_info=error.original_error
            )


def format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {}
    original = error.original_error
    extensions = dict(error.extensions or {})
    if isinstance(original, ApiError):
        out["message"] = original.message
        extensions.update(original.extensions)
    elif _is_unexpected(error):
        out["message"] = "Internal server error"
        extensions = {"code": "INTERNAL", "errorId": extensions.get("errorId", "")}
    else:
        out["message"] = error.message
        extensions.setdefault(
            "code", "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_REQUEST"
        )
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path is not None:
        out["path"] = list(error.path)
    out["extensions"] = extensions
    return out
