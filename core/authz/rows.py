"""Row-level scopes: which rows of a permission an actor may see, as one SQL predicate.

Roles hold each permission with a scope (own < team < department < all, see the policy
store). Services and loaders add ``visible(...)`` to the statements that list, count, search
or load rows, so a field sales rep's lists, counts and nested lists hold only their own
customers and deals, at no extra query per row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, union

from unicrm.core.graph.teams.models import Team, TeamMember

ALL = "all"
DEPARTMENT = "department"
TEAM = "team"


def my_teams(user_id: Any) -> Any:
    """The ids of every team ``user_id`` belongs to or manages."""
    mine = union(
        select(TeamMember.team_id).where(TeamMember.user_id == user_id),
        select(Team.id).where(Team.manager_id == user_id),
    ).subquery()
    return select(mine.c[0])


def teammates(user_id: Any) -> Any:
    """The users of every team ``user_id`` belongs to or manages (themselves included)."""
    return select(TeamMember.user_id).where(TeamMember.team_id.in_(my_teams(user_id)))


def visible(
    ctx: Any,
    permission: str,
    *,
    owner: ColumnElement[Any],
    department: ColumnElement[Any] | None,
    action: str = "read",
    team: ColumnElement[Any] | None = None,
) -> ColumnElement[bool] | None:
    """The predicate limiting ``permission``'s rows to what ``ctx.actor`` may see; None when
    nothing is hidden (scope ``all``, or no authorizer: system work outside a request).

    ``team`` means rows owned by the actor or by a member of any team the actor belongs to
    or manages (core/graph/teams); with ``team`` (a row's queue), also the rows of those teams.
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
    if user_id is None:
        return false()
    if scope == TEAM:
        mine = or_(owner == user_id, owner.in_(teammates(user_id)))
        return mine if team is None else or_(mine, team.in_(my_teams(user_id)))
    return owner == user_id


def where_visible(stmt: Any, predicate: ColumnElement[bool] | None) -> Any:
    return stmt if predicate is None else stmt.where(predicate)
