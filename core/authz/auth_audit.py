"""The audit trail of authentication: sign-ins, refreshes and API-key use.

Entries are written in the transaction of what they record (a session started, a refresh
token rotated or replayed, an API key's use noted), and a refused sign-in in a transaction of
its own, so the log holds failures too. They carry ids, methods and reason codes, never the
e-mail typed, a password, a token or a key.

Access tokens are recorded when they are issued (``auth.login``, ``auth.refresh``), not on
every request; an API key's use is recorded whenever its last-used time is written, at most
once a minute per key.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.audit.services import record
from unicrm.core.graph.context import Actor
from unicrm.core.graph.ids import to_global_id

POLICY_CHANGE = "policy.change"
LOGIN = "auth.login"
REFRESH = "auth.refresh"
API_KEY_USE = "auth.api_key_use"


def user_actor(user_id: uuid.UUID, name: str) -> Actor:
    return Actor(user_id=user_id, name=name, kind="user", subject=f"user:{user_id}")


def subject_actor(subject: str) -> Actor:
    """The actor behind a policy subject: ``user:<uuid>``, ``apikey:<uuid>``, else a system
    actor of that name (``cli``, ``system``)."""
    kind, _, raw = subject.partition(":")
    try:
        identifier = uuid.UUID(raw)
    except ValueError:
        return Actor.system(subject)
    if kind == "apikey":
        return Actor(user_id=None, name=subject, kind="api_key", subject=subject)
    return user_actor(identifier, subject)


async def policy_changed(session: AsyncSession, *, by: str, version: int, comment: str) -> None:
    """A new policy version (a role, grant or assignment changed, a restore, an import)."""
    await record(
        session,
        actor=subject_actor(by),
        action=POLICY_CHANGE,
        department=None,
        details={"version": version, "comment": comment[:200]},
    )


async def sign_in(
    session: AsyncSession,
    *,
    actor: Actor,
    method: str,
    outcome: str = "ok",
    session_id: uuid.UUID | None = None,
    client_address: str | None = None,
) -> None:
    """A sign-in by ``method`` (password, sso), succeeded (``ok``) or refused (reason code)."""
    details: dict[str, str] = {"method": method}
    if session_id is not None:
        details["session"] = str(session_id)
    await record(
        session,
        actor=actor,
        action=LOGIN,
        department=None,
        targets=[to_global_id("User", actor.user_id)] if actor.user_id is not None else [],
        outcome=outcome,
        details=details,
        client_address=client_address,
    )


async def refreshed(
    session: AsyncSession, *, actor: Actor, session_id: uuid.UUID, outcome: str = "ok"
) -> None:
    """A refresh token traded for new tokens (``ok``), or replayed (``refresh_token_reuse``)."""
    await record(
        session,
        actor=actor,
        action=REFRESH,
        department=None,
        targets=[to_global_id("User", actor.user_id)],
        outcome=outcome,
        details={"session": str(session_id)},
    )


async def api_key_used(
    session: AsyncSession, *, key_id: uuid.UUID, name: str, department: str
) -> None:
    actor = Actor(user_id=None, name=name, kind="api_key", subject=f"apikey:{key_id}")
    await record(session, actor=actor, action=API_KEY_USE, department=department)
