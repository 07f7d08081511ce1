"""What a frontend asks before it draws a screen: the caller's departments and rights."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.access import Access, Decision
from unicrm.core.errors import BadRequest
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.users.models import User, UserDepartment


@dataclass(frozen=True, slots=True)
class Capability:
    name: str
    allowed: bool
    masked: bool = False


async def user_and_departments(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[User | None, list[str]]:
    user = await session.get(User, user_id)
    names = (
        await session.scalars(
            select(Department.name)
            .join(UserDepartment, UserDepartment.department_id == Department.id)
            .where(UserDepartment.user_id == user_id)
            .order_by(Department.name)
        )
    ).all()
    return user, list(names)


def capabilities(
    access: Access | None,
    requirements: Any,
    coordinates: Sequence[str],
    permissions: Sequence[str],
) -> list[Capability]:
    """The decision for each schema coordinate (``Customer.email``) and each
    ``permission:action`` (``sfa.deal:write``) asked about, in the order asked."""
    found: list[Capability] = []
    for coordinate in coordinates:
        requirement = requirements.by_coordinate.get(coordinate)
        if requirement is None:
            raise BadRequest(f"{coordinate!r} is not a field of this API")
        decision = Decision.ALLOW if access is None else access.decide(requirement)
        found.append(
            Capability(coordinate, decision is not Decision.DENY, decision is Decision.MASK)
        )
    for name in permissions:
        permission, _, action = name.partition(":")
        if not permission or not action:
            raise BadRequest(f"{name!r} is not a permission:action pair")
        found.append(Capability(name, access is None or access.allowed(permission, action)))
    return found
