"""API keys for integrations: ``ucrm_<prefix>_<secret>``, scoped to a department and a role.

The key is shown once, when created. The table keeps the prefix (unique, the lookup key) and
the SHA-256 of the secret: the secret is 256 random bits, so a fast hash is as safe as a slow
one and keeps every request to one indexed lookup. ``last_used_at`` is written at most once a
minute per key. Revoked and expired keys are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz import auth_audit
from unicrm.core.authz.admin import PolicyAdmin, assign
from unicrm.core.authz.models import ApiKey
from unicrm.core.authz.policy_models import AuthzRule
from unicrm.core.authz.store import record_version
from unicrm.core.authz.tokens import InvalidToken
from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.departments.services import get_department

KEY_PREFIX = "ucrm"
MAX_NAME = 200
ROLE_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")
LAST_USED_EVERY = timedelta(minutes=1)
_KEY_RE = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")

SUBJECT_KIND = "apikey"
"""Policies name a key ``apikey:<id>``."""


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    id: uuid.UUID
    prefix: str
    name: str
    department_id: uuid.UUID
    department: str
    role: str
    created_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new key and its one showing of the full secret."""

    info: ApiKeyInfo
    key: str

    def __repr__(self) -> str:
        return f"CreatedApiKey(info={self.info!r})"


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(f"{KEY_PREFIX}_")


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: ApiKey, slug: str) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        prefix=row.prefix,
        name=row.name,
        department_id=row.department_id,
        department=slug,
        role=row.role,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


def _checked(name: str, role: str, expires_at: datetime | None) -> tuple[str, str]:
    errors = []
    clean_name = " ".join(name.split())
    if not clean_name:
        errors.append(FieldError("REQUIRED", "an API key needs a name", "name"))
    elif len(clean_name) > MAX_NAME:
        errors.append(FieldError("TOO_LONG", "the name is too long", "name"))
    if not ROLE_RE.match(role):
        errors.append(
            FieldError("INVALID", "a role name is lower-case letters, digits, _ . -", "role")
        )
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= utcnow()):
        errors.append(
            FieldError("INVALID", "the expiry must be a future time with a zone", "expires_at")
        )
    if errors:
        raise DomainError(*errors)
    return clean_name, role


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    department: str,
    role: str,
    created_by: uuid.UUID | None,
    admin: PolicyAdmin,
    expires_at: datetime | None = None,
) -> CreatedApiKey:
    """Create a key for ``department`` acting as ``role``; the result holds the only copy of
    the key. The key holds its role through a policy link (``g, apikey:<id>, role,
    department``), written in the same transaction as a new policy version, so only an
    editor who may hand out ``role`` there can create it. Reload the policies after commit."""
    clean_name, role = _checked(name, role, expires_at)
    try:
        row_department = await get_department(session, department)
    except DomainError:
        raise DomainError.single(
            "NOT_FOUND", f"no department {department!r}", "department"
        ) from None
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = ApiKey(
        prefix=prefix,
        secret_hash=_secret_hash(secret),
        name=clean_name,
        department_id=row_department.id,
        role=role,
        created_by=created_by,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    comment = await assign(
        admin, subject=f"{SUBJECT_KIND}:{row.id}", role=role, department=row_department.slug
    )(session)
    await record_version(session, admin.editor.subject, comment)
    return CreatedApiKey(_info(row, row_department.slug), f"{KEY_PREFIX}_{prefix}_{secret}")


async def list_api_keys(session: AsyncSession) -> list[ApiKeyInfo]:
    """Every key, newest first, with its department's slug (the secrets are not kept)."""
    rows = await session.execute(
        select(ApiKey, Department.slug)
        .join(Department, Department.id == ApiKey.department_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    )
    return [_info(row, slug) for row, slug in rows]


async def key_id_by_prefix(session: AsyncSession, prefix: str) -> uuid.UUID:
    """The id of the key whose public prefix is ``prefix`` (``ucrm_<prefix>_...``)."""
    key_id = await session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix.strip()))
    if key_id is None:
        raise DomainError.single(
            "NOT_FOUND", f"no API key with prefix {prefix.strip()!r}", "prefix"
        )
    return key_id


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKeyInfo:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    found = (
        await session.execute(
            select(ApiKey, Department.slug)
            .join(Department, Department.id == ApiKey.department_id)
            .where(ApiKey.id == key_id)
        )
    ).first()
    if found is None:
        raise DomainError.single("NOT_FOUND", "no such API key", "id")
    row, slug = found
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.execute(
            delete(AuthzRule).where(
                AuthzRule.ptype == "g", AuthzRule.v0 == f"{SUBJECT_KIND}:{row.id}"
            )
        )
        await session.flush()
    return _info(row, slug)


async def authenticate_api_key(db: Database, credential: str) -> ApiKeyInfo:
    """The key ``credential`` names, if it is valid, unrevoked and unexpired; else
    ``InvalidToken`` (UNAUTHENTICATED). Notes the use at most once a minute."""
    match = _KEY_RE.match(credential)
    if match is None:
        raise InvalidToken("the API key is malformed")
    prefix, secret = match.groups()
    now = utcnow()
    async with db.session() as session:
        found = (
            await session.execute(
                select(ApiKey, Department.slug)
                .join(Department, Department.id == ApiKey.department_id)
                .where(ApiKey.prefix == prefix)
            )
        ).first()
    if found is None or not hmac.compare_digest(found[0].secret_hash, _secret_hash(secret)):
        raise InvalidToken("the API key is invalid")
    row, slug = found
    if row.revoked_at is not None:
        raise InvalidToken("the API key has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise InvalidToken("the API key has expired")
    if row.last_used_at is None or row.last_used_at <= now - LAST_USED_EVERY:
        async with db.transaction() as session:
            noted = await session.execute(
                update(ApiKey)
                .where(
                    ApiKey.id == row.id,
                    or_(
                        ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_EVERY
                    ),
                )
                .values(last_used_at=now)
            )
            if noted.rowcount:
                await auth_audit.api_key_used(
                    session, key_id=row.id, name=row.name, department=slug
                )
        row.last_used_at = now
    return _info(row, slug)
