"""Signing in with an e-mail and a password (and a TOTP code when enrolled).

Every failure that could tell an attacker whether an account exists answers the same
``LoginFailed`` (INVALID_CREDENTIALS), and an unknown e-mail is verified against a dummy
hash so it takes about as long as a wrong password. Failures count towards the throttles
(``unicrm.core.authz.throttle``) in a transaction of their own, so they are recorded even
though the sign-in fails.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz import auth_audit, passwords, throttle, totp
from unicrm.core.authz.enforcer import Authorizer
from unicrm.core.authz.sessions import IssuedTokens, start_session
from unicrm.core.authz.tokens import issue_enrollment_token
from unicrm.core.config import Settings
from unicrm.core.db.database import Database
from unicrm.core.errors import DomainError, Unauthenticated
from unicrm.core.graph.context import Actor
from unicrm.core.graph.users.models import User
from unicrm.core.graph.users.services import normalize_email

MAX_EMAIL = 320


class LoginFailed(Unauthenticated):
    """A refused sign-in; ``reason`` is a stable code (INVALID_CREDENTIALS, TOTP_REQUIRED,
    INVALID_TOTP, USER_DISABLED, TOTP_ENROLLMENT_REQUIRED)."""

    def __init__(self, reason: str, message: str, *, counts: bool = True) -> None:
        super().__init__(message)
        self.reason = reason
        self.counts = counts
        self.user: User | None = None  # the account, when the e-mail named one (audit only)
        self.enrollment_token: str | None = None

    @property
    def extensions(self) -> dict[str, str]:
        found = {"code": self.code, "reason": self.reason}
        if self.enrollment_token is not None:
            found["enrollmentToken"] = self.enrollment_token
        return found


def invalid_credentials() -> LoginFailed:
    return LoginFailed("INVALID_CREDENTIALS", "wrong e-mail or password")


def _login_name(email: str) -> str:
    """The normalized e-mail, or the raw text when it is not an e-mail (still throttled)."""
    try:
        return normalize_email(email[:MAX_EMAIL])
    except DomainError:
        return email.strip().lower()[:MAX_EMAIL]


async def _verified_user(
    session: AsyncSession,
    login_name: str,
    password: str,
    totp_code: str | None,
    settings: Settings,
    authz: Authorizer | None,
) -> User:
    user = await session.scalar(select(User).where(User.email == login_name))
    if user is None or user.password_hash is None:
        passwords.verify_dummy(password)
        raise invalid_credentials()
    try:
        _check_user(user, user.password_hash, password)
        await _check_second_factor(session, user, totp_code, settings, authz)
    except LoginFailed as exc:
        exc.user = user
        raise
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def _check_user(user: User, password_hash: str, password: str) -> None:
    if not passwords.verify_password(password_hash, password):
        raise invalid_credentials()
    if not user.is_active:
        raise LoginFailed("USER_DISABLED", "this account is disabled", counts=False)


async def _check_second_factor(
    session: AsyncSession,
    user: User,
    totp_code: str | None,
    settings: Settings,
    authz: Authorizer | None,
) -> None:
    if await totp.is_enrolled(session, user.id):
        if not totp_code:
            raise LoginFailed("TOTP_REQUIRED", "this account needs a two-factor code", counts=False)
        if not await totp.verify(session, user.id, totp_code, settings):
            raise LoginFailed("INVALID_TOTP", "the two-factor code is not valid")
    elif await totp.totp_required(session, user, settings, authz):
        refused = LoginFailed(
            "TOTP_ENROLLMENT_REQUIRED",
            "this account must enroll a two-factor authenticator",
            counts=False,
        )
        refused.enrollment_token = issue_enrollment_token(settings, user_id=user.id)
        raise refused


async def password_login(
    db: Database,
    settings: Settings,
    *,
    email: str,
    password: str,
    totp_code: str | None = None,
    client_address: str | None = None,
    user_agent: str | None = None,
    authz: Authorizer | None = None,
) -> IssuedTokens:
    """Sign a user in, or raise ``LoginFailed`` / ``LoginThrottled``.

    ``authz`` (the loaded policies) tells whether the user's roles require two-factor sign-in
    (``auth.totp_required_roles``); such a user who has not enrolled is refused with
    TOTP_ENROLLMENT_REQUIRED and an enrollment token for totpEnroll/totpConfirm.
    """
    login_name = _login_name(email)
    keys = throttle.keys(settings.auth, login_name, client_address)
    try:
        async with db.session() as session:
            await throttle.check(session, keys)
    except throttle.LoginThrottled:
        async with db.transaction() as session:
            await _refused(session, None, "throttled", client_address)
        raise
    failure: LoginFailed | None = None
    async with db.transaction() as session:
        try:
            user = await _verified_user(session, login_name, password, totp_code, settings, authz)
        except LoginFailed as exc:
            failure = exc
        else:
            await throttle.clear(session, keys[0])
            return await start_session(
                session,
                user,
                client_address=client_address,
                user_agent=user_agent,
                method="password",
                settings=settings,
            )
    async with db.transaction() as session:
        if failure.counts:
            await throttle.record_failure(session, keys, settings.auth)
        await _refused(session, failure.user, failure.reason.lower(), client_address)
    raise failure


async def _refused(
    session: AsyncSession, user: User | None, reason: str, client_address: str | None
) -> None:
    actor = Actor.anonymous() if user is None else auth_audit.user_actor(user.id, user.display_name)
    await auth_audit.sign_in(
        session, actor=actor, method="password", outcome=reason, client_address=client_address
    )
