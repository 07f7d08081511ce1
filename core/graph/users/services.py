"""Users (staff): creation, listing, disabling and department membership.

E-mail addresses are the login names: normalized (trimmed, lower-cased, validated) and unique.
Passwords are optional (single sign-on users have none) and stored as argon2id hashes
(``unicrm.core.authz.passwords``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.passwords import hash_password
from unicrm.core.errors import DomainError
from unicrm.core.graph.contacts.services import normalize_email as normalize_contact_email
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.departments.services import get_department
from unicrm.core.graph.users.models import User, UserDepartment

MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: uuid.UUID
    email: str
    display_name: str
    is_active: bool
    primary_department: str | None
    departments: tuple[str, ...]


def normalize_email(raw: str) -> str:
    """The canonical form of a login e-mail, normalized as customers' addresses are."""
    return normalize_contact_email(raw, field="email")


def _display_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise DomainError.single("REQUIRED", "a user needs a name", "display_name")
    if len(name) > MAX_NAME:
        raise DomainError.single("TOO_LONG", "the name is too long", "display_name")
    return name


async def _default_department(session: AsyncSession) -> Department | None:
    return await session.scalar(select(Department).where(Department.is_default.is_(True)))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    password: str | None = None,
    departments: Sequence[str] = (),
) -> User:
    """Create an active user, member of ``departments`` (the first is the primary one).

    Without departments the user joins the default department, if there is one.
    """
    address = normalize_email(email)
    name = _display_name(display_name)
    password_hash = hash_password(password) if password is not None else None
    if await session.scalar(select(User.id).where(User.email == address)):
        raise DomainError.single("DUPLICATE", f"a user with e-mail {address} exists", "email")
    rows = [await get_department(session, slug) for slug in dict.fromkeys(departments)]
    if not rows:
        default = await _default_department(session)
        rows = [default] if default is not None else []
    user = User(
        email=address,
        display_name=name,
        password_hash=password_hash,
        is_active=True,
        primary_department_id=rows[0].id if rows else None,
    )
    session.add(user)
    await session.flush()
    session.add_all(UserDepartment(user_id=user.id, department_id=d.id) for d in rows)
    await session.flush()
    return user


async def get_user(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise DomainError.single("NOT_FOUND", f"no user with e-mail {email.strip()}", "email")
    return user


async def disable_user(session: AsyncSession, email: str) -> User:
    """Disable a user: they keep their records but can no longer sign in."""
    user = await get_user(session, email)
    user.is_active = False
    await session.flush()
    return user


async def add_to_department(
    session: AsyncSession, email: str, slug: str, *, primary: bool = False
) -> User:
    """Make the user a member of department ``slug`` (idempotent), optionally the primary one."""
    user = await get_user(session, email)
    department = await get_department(session, slug)
    member = await session.get(UserDepartment, (user.id, department.id))
    if member is None:
        session.add(UserDepartment(user_id=user.id, department_id=department.id))
    if primary or user.primary_department_id is None:
        user.primary_department_id = department.id
    await session.flush()
    return user


async def list_users(session: AsyncSession) -> list[UserInfo]:
    """Every user in e-mail order, with their department slugs (two statements in all)."""
    users = (await session.scalars(select(User).order_by(User.email))).all()
    memberships = await session.execute(
        select(UserDepartment.user_id, Department.id, Department.slug)
        .join(Department, Department.id == UserDepartment.department_id)
        .order_by(Department.slug)
    )
    slugs: dict[uuid.UUID, str] = {}
    by_user: dict[uuid.UUID, list[str]] = {}
    for user_id, department_id, slug in memberships:
        slugs[department_id] = slug
        by_user.setdefault(user_id, []).append(slug)
    return [
        UserInfo(
            id=u.id,
            email=u.email,
            display_name=u.display_name,
            is_active=u.is_active,
            primary_department=slugs.get(u.primary_department_id)
            if u.primary_department_id
            else None,
            departments=tuple(by_user.get(u.id, ())),
        )
        for u in users
    ]
