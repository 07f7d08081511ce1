"""Who is calling: the actor of a request, and the department it acts in.

``Authorization: Bearer <credential>`` carries either a UniCRM access token (a JWT) or an API
key (``ucrm_...``). A credential that is malformed, expired, tampered with, signed with an
unknown key, revoked or of a disabled user is refused with UNAUTHENTICATED (HTTP 401): a
request never silently falls back to anonymous when it presented a credential. Without one,
the plugins' ``authenticate`` hook may name an actor (first answer wins, e.g. single
sign-on at a proxy); otherwise the caller is anonymous.

The department of a request is the one in ``/graphql/{department}`` or the
``UniCRM-Department`` header, else the caller's own (an API key's department, a user's
primary department), else the default. An API key works only in its own department.
"""

from __future__ import annotations

from typing import Any

from unicrm.core.authz.apikeys import authenticate_api_key, looks_like_api_key
from unicrm.core.authz.sessions import active_session
from unicrm.core.authz.tokens import InvalidToken, decode_access_token
from unicrm.core.errors import Forbidden, NotFound
from unicrm.core.graph.context import Actor
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.state import AppState

DEPARTMENT_HEADER = "unicrm-department"


def bearer_credential(request: Any) -> str | None:
    """The credential of ``Authorization: Bearer ...``, None without the header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential or " " in credential:
        raise InvalidToken("expected an Authorization header of the form: Bearer <token>")
    return credential


async def _token_actor(state: AppState, token: str) -> Actor:
    claims = decode_access_token(state.settings, token)
    found = await active_session(state.db, claims.session_id, settings=state.settings)
    if found is None or found.user_id != claims.user_id:
        raise InvalidToken("the session of this access token has ended")
    return Actor(
        user_id=found.user_id,
        name=found.display_name,
        kind="user",
        subject=f"user:{found.user_id}",
        session_id=found.session_id,
        department_id=found.primary_department_id,
        auth=found.method,
    )


async def _api_key_actor(state: AppState, credential: str) -> Actor:
    key = await authenticate_api_key(state.db, credential)
    return Actor(
        user_id=None,
        name=key.name,
        kind="api_key",
        subject=f"apikey:{key.id}",
        department_id=key.department_id,
        auth="api_key",
    )


async def authenticate(request: Any, state: AppState) -> Actor:
    """The actor of ``request``; raises ``InvalidToken`` (UNAUTHENTICATED) for a bad
    credential."""
    credential = bearer_credential(request)
    if credential is not None:
        if looks_like_api_key(credential):
            return await _api_key_actor(state, credential)
        return await _token_actor(state, credential)
    actor = await state.manager.acall("authenticate", request=request)
    return actor if isinstance(actor, Actor) else Actor.anonymous()


async def request_department(request: Any, state: AppState, actor: Actor) -> DepartmentInfo:
    """The department ``request`` acts in (see the module docstring).

    NOT_FOUND for an unknown department; FORBIDDEN when an API key asks for another one.
    """
    slug = request.path_params.get("department") or request.headers.get(DEPARTMENT_HEADER)
    department = None
    if slug:
        department = await state.departments.get(slug)
        if department is None:
            raise NotFound(f"no department {slug!r}")
    elif actor.department_id is not None:
        department = await state.departments.by_id(actor.department_id)
    if department is None:
        department = await state.departments.get(None)
        if department is None:
            raise NotFound("no department exists")
    if actor.auth == "api_key" and department.id != actor.department_id:
        raise Forbidden("this API key works only in its own department")
    return department
