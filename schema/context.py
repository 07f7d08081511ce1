"""Building the per-request context: department, actor, its access decisions, loaders."""

from __future__ import annotations

from typing import Any

from unicrm.core.authz.access import Access
from unicrm.core.graph.context import Actor, RequestContext
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.state import AppState


def make_context(
    state: AppState, department: DepartmentInfo, actor: Actor | None = None, request: Any = None
) -> RequestContext:
    actor = actor or Actor.anonymous()
    return RequestContext(
        state=state,
        department=department,
        actor=actor,
        request=request,
        # UniCRM's own work (``Actor.system``) is not subject to the policies.
        access=None
        if actor.kind == "system"
        else Access(state.authz, actor.subject, department.slug),
    )
