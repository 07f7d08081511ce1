"""Row-level scopes: which rows of a permission an actor may see, as one SQL predicate.

Roles hold each permission with a scope (own < team < department < all, see the policy
store). Services and loaders add ``visible(...)`` to the statements that list, count, search
or load rows, so a field sales rep's lists, counts and nested lists hold only their own
customers and deals, at no extra query per row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false

ALL = "all"
DEPARTMENT = "department"


def visible(
    ctx: Any,
    permission: str,
    *,
    owner: ColumnElement[Any],
    department: ColumnElement[Any] | None,
    action: str = "read",
) -> ColumnElement[bool] | None:
    """The predicate limiting ``permission``'s rows to what ``ctx.actor`` may see; None when
    nothing is hidden (scope ``all``, or no authorizer: system work outside a request).

    ``team`` narrows to the actor's own rows until teams exist in the customer graph.
    """
    access = getattr(ctx, "access", None)
    if access is None:
        return None
    scope = access.scope(permission, action)
    if scope is None:
        return false()
    if scope == ALL:
        return None
    if scope == DEPARTMENT and department is not None:
        return department == ctx.department.id
    user_id = ctx.actor.user_id
    return false() if user_id is None else owner == user_id


def where_visible(stmt: Any, predicate: ColumnElement[bool] | None) -> Any:
    return stmt if predicate is None else stmt.where(predicate)
