"""Who a verified OpenID Connect identity signs in as: a linked user, an existing user with
the same verified e-mail, or a user provisioned just in time.

Provisioned users join the configured department (or the default one) and their link
records the configured role in that department; ``provisioned_roles`` lists those grants for
the access-control layer. Users matched by e-mail keep their memberships and roles.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.oidc import Failure, OidcError, VerifiedIdentity
from unicrm.core.authz.oidc_models import OidcUserLink
from unicrm.core.config import OidcSettings
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.departments.services import get_department
from unicrm.core.graph.users.models import User
from unicrm.core.graph.users.services import MAX_NAME, create_user, normalize_email


@dataclass(frozen=True, slots=True)
class ProvisionedRole:
    """A role the sign-in configuration gave a user in a department (``g, user, role, dom``)."""

    user_id: uuid.UUID
    role: str
    department: str


def _vouched_email(identity: VerifiedIdentity) -> str | None:
    """The identity's e-mail address, normalized, if the provider says it is verified."""
    if identity.email is None or not identity.email_verified:
        return None
    try:
        return normalize_email(identity.email)
    except DomainError:
        return None


def _allowed_email(settings: OidcSettings, identity: VerifiedIdentity) -> str:
    address = _vouched_email(identity)
    if address is None:
        raise OidcError(
            Failure.EMAIL_NOT_VERIFIED, "the identity provider vouches for no valid e-mail address"
        )
    domain = address.rpartition("@")[2]
    if settings.allowed_domains and domain not in settings.allowed_domains:
        raise OidcError(
            Failure.DOMAIN_NOT_ALLOWED, f"e-mail addresses at {domain} may not sign in here"
        )
    return address


def _active(user: User) -> User:
    if not user.is_active:
        raise OidcError(Failure.USER_DISABLED, "this user is disabled")
    return user


async def _provision(
    session: AsyncSession, settings: OidcSettings, identity: VerifiedIdentity, address: str
) -> User:
    departments = []
    if settings.department:
        try:
            departments = [(await get_department(session, settings.department)).slug]
        except DomainError:
            raise OidcError(
                Failure.MISCONFIGURED,
                f"single sign-on provisions into department {settings.department!r}, "
                "which does not exist",
            ) from None
    name = (identity.name or address.partition("@")[0])[:MAX_NAME]
    return await create_user(session, email=address, display_name=name, departments=departments)


async def _first_sign_in(
    session: AsyncSession, settings: OidcSettings, identity: VerifiedIdentity
) -> User:
    address = _allowed_email(settings, identity)
    role: str | None = None
    user = await session.scalar(select(User).where(User.email == address))
    if user is None:
        user = await _provision(session, settings, identity, address)
        role = settings.role or None
    session.add(
        OidcUserLink(
            issuer=identity.issuer,
            subject=identity.subject,
            user_id=_active(user).id,
            email=address,
            role=role,
            department_id=user.primary_department_id if role else None,
        )
    )
    await session.flush()
    return user


async def sign_in_user(
    session: AsyncSession, settings: OidcSettings, identity: VerifiedIdentity
) -> User:
    """The active user ``identity`` signs in as, linking or provisioning them on first use.

    A linked subject signs in as its user (checked against the allowed domains when there
    are some); a new one needs a verified e-mail address. Raises ``OidcError``, with nothing
    written, for an unverified or disallowed address and for a disabled user.
    """
    link = await session.scalar(
        select(OidcUserLink).where(
            OidcUserLink.issuer == identity.issuer, OidcUserLink.subject == identity.subject
        )
    )
    if link is None:
        return await _first_sign_in(session, settings, identity)
    if settings.allowed_domains:
        _allowed_email(settings, identity)
    user = _active(await session.get_one(User, link.user_id))
    link.email = _vouched_email(identity) or link.email
    link.last_login_at = utcnow()
    await session.flush()
    return user


async def provisioned_roles(
    session: AsyncSession, user_id: uuid.UUID | None = None
) -> list[ProvisionedRole]:
    """The roles single sign-on gave provisioned users (one user's, or everyone's)."""
    query = (
        select(OidcUserLink.user_id, OidcUserLink.role, Department.slug)
        .join(Department, Department.id == OidcUserLink.department_id)
        .where(OidcUserLink.role.is_not(None))
        .order_by(OidcUserLink.created_at)
    )
    if user_id is not None:
        query = query.where(OidcUserLink.user_id == user_id)
    rows = await session.execute(query)
    return [ProvisionedRole(user_id=u, role=r, department=d) for u, r, d in rows]
