"""Sign-in, tokens, sessions, TOTP and API key mutations.

Credential failures are top-level errors (UNAUTHENTICATED with a ``reason``, RATE_LIMITED
with ``retryAfter``); malformed input is a payload error and changes nothing.
"""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz import apikeys, sessions, totp
from unicrm.core.authz.declare import public, requires
from unicrm.core.authz.lifecycle import policies_changed
from unicrm.core.authz.login import MAX_EMAIL, password_login
from unicrm.core.authz.passwords import MAX_PASSWORD
from unicrm.core.authz.tokens import InvalidToken, decode_enrollment_token
from unicrm.core.errors import DomainError, FieldError, Unauthenticated
from unicrm.core.graph.access.mutations import admin_of
from unicrm.core.graph.auth.types import (
    ApiKey,
    ApiKeyCreateInput,
    ApiKeyCreatePayload,
    ApiKeyPayload,
    ApiKeyRevokeInput,
    AuthError,
    AuthErrorCode,
    AuthTokens,
    LoginInput,
    LoginPayload,
    LogoutPayload,
    SessionsRevokeInput,
    SessionsRevokePayload,
    TokenRefreshInput,
    TokenRefreshPayload,
    TotpCodeInput,
    TotpConfirmInput,
    TotpEnrollInput,
    TotpEnrollPayload,
    TotpPayload,
)
from unicrm.core.graph.context import Actor, RequestContext
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import in_transaction, payload_errors
from unicrm.core.graph.users.models import User

MAX_TOKEN = 4096


def _errors(error: DomainError) -> list[AuthError]:
    return payload_errors(error, AuthError, AuthErrorCode)


def _text_errors(**fields: tuple[str, int]) -> list[AuthError]:
    """REQUIRED / TOO_LONG errors of plain text inputs, ``name=(value, max_length)``."""
    found = []
    for name, (value, limit) in fields.items():
        if not value.strip():
            found.append(FieldError("REQUIRED", f"{name} is required", name))
        elif len(value) > limit:
            found.append(FieldError("TOO_LONG", f"{name} is too long", name))
    return _errors(DomainError(*found)) if found else []


def _client(ctx: RequestContext) -> tuple[str | None, str | None]:
    request = ctx.request
    if request is None:
        return None, None
    address = request.client.host if getattr(request, "client", None) else None
    return address, request.headers.get("user-agent")


def _signed_in(ctx: RequestContext) -> Actor:
    if ctx.actor.user_id is None:
        raise Unauthenticated("sign in first")
    return ctx.actor


async def _user(session: AsyncSession, actor: Actor) -> User:
    user = await session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("sign in first")
    return user


async def _enrolling(
    session: AsyncSession, ctx: RequestContext, enrollment_token: str | None
) -> User:
    """The user enrolling an authenticator: the one signed in, or the one an enrollment token
    (from a sign-in refused with TOTP_ENROLLMENT_REQUIRED) was issued to."""
    if enrollment_token is None:
        return await _user(session, _signed_in(ctx))
    if len(enrollment_token) > MAX_TOKEN:
        raise InvalidToken("the enrollment token is invalid")
    user_id = decode_enrollment_token(ctx.settings, enrollment_token)
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("sign in first")
    return user


def _require(ctx: RequestContext, permission: str, action: str) -> None:
    """Check ``permission:action`` with the request's access decisions, when it has them."""
    access = getattr(ctx, "access", None)
    if access is not None:
        access.require(permission, action)


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        metadata=public(),
        description="Sign in with e-mail and password (and a two-factor code once enrolled).",
    )
    async def login(self, info: strawberry.Info, input: LoginInput) -> LoginPayload:
        errors = _text_errors(
            email=(input.email, MAX_EMAIL), password=(input.password, MAX_PASSWORD)
        )
        if errors:
            return LoginPayload(errors=errors)
        ctx: RequestContext = info.context
        address, agent = _client(ctx)
        tokens = await password_login(
            ctx.db,
            ctx.settings,
            email=input.email,
            password=input.password,
            totp_code=input.totp_code,
            client_address=address,
            user_agent=agent,
            authz=ctx.state.authz,
        )
        return LoginPayload(errors=[], tokens=AuthTokens.of(tokens))

    @strawberry.mutation(
        metadata=public(),
        description="Trade a refresh token (once) for new tokens; reusing one ends the session.",
    )
    async def token_refresh(
        self, info: strawberry.Info, input: TokenRefreshInput
    ) -> TokenRefreshPayload:
        errors = _text_errors(refresh_token=(input.refresh_token, MAX_TOKEN))
        if errors:
            return TokenRefreshPayload(errors=errors)
        ctx: RequestContext = info.context
        tokens = await sessions.refresh_session(ctx.db, input.refresh_token, settings=ctx.settings)
        return TokenRefreshPayload(errors=[], tokens=AuthTokens.of(tokens))

    @strawberry.mutation(metadata=public(), description="Sign out: end the current session.")
    async def logout(self, info: strawberry.Info) -> LogoutPayload:
        ctx: RequestContext = info.context
        actor = _signed_in(ctx)
        if actor.session_id is None:
            raise Unauthenticated("only a session signed in with a token can sign out")

        async def work(session: AsyncSession) -> bool:
            return await sessions.revoke_session(session, actor.session_id, "logout")

        revoked = await in_transaction(info, work)
        return LogoutPayload(errors=[], revoked=bool(revoked))

    @strawberry.mutation(
        metadata=public(),
        description="End every session of a user: your own, or anyone's with core.user:write.",
    )
    async def sessions_revoke(
        self, info: strawberry.Info, input: SessionsRevokeInput
    ) -> SessionsRevokePayload:
        ctx: RequestContext = info.context
        actor = _signed_in(ctx)

        async def work(session: AsyncSession) -> int:
            user_id = decode_id(input.user_id, "User", "user_id")
            if user_id != actor.user_id:
                _require(ctx, "core.user", "write")
            if await session.get(User, user_id) is None:
                raise DomainError.single("NOT_FOUND", "no such user", "user_id")
            return await sessions.revoke_user_sessions(session, user_id, "revoked")

        outcome = await in_transaction(info, work)
        if isinstance(outcome, DomainError):
            return SessionsRevokePayload(errors=_errors(outcome))
        return SessionsRevokePayload(errors=[], revoked_count=outcome)

    @strawberry.mutation(
        metadata=public(),
        description="Start two-factor enrollment: a new secret, shown once. Confirm it with "
        "totpConfirm.",
    )
    async def totp_enroll(
        self, info: strawberry.Info, input: TotpEnrollInput | None = None
    ) -> TotpEnrollPayload:
        token = input.enrollment_token if input is not None else None
        ctx: RequestContext = info.context

        async def work(session: AsyncSession) -> totp.Enrollment:
            return await totp.enroll(session, await _enrolling(session, ctx, token), ctx.settings)

        outcome = await in_transaction(info, work)
        if isinstance(outcome, DomainError):
            return TotpEnrollPayload(errors=_errors(outcome))
        return TotpEnrollPayload(errors=[], secret=outcome.secret, uri=outcome.uri)

    @strawberry.mutation(
        metadata=public(), description="Turn two-factor sign-in on with a first code."
    )
    async def totp_confirm(self, info: strawberry.Info, input: TotpConfirmInput) -> TotpPayload:
        ctx: RequestContext = info.context

        async def work(session: AsyncSession) -> None:
            user = await _enrolling(session, ctx, input.enrollment_token)
            await totp.confirm(session, user, input.code, ctx.settings)

        outcome = await in_transaction(info, work)
        if isinstance(outcome, DomainError):
            return TotpPayload(errors=_errors(outcome), enabled=False)
        return TotpPayload(errors=[], enabled=True)

    @strawberry.mutation(
        metadata=public(), description="Turn two-factor sign-in off; needs a current code."
    )
    async def totp_disable(self, info: strawberry.Info, input: TotpCodeInput) -> TotpPayload:
        actor = _signed_in(info.context)

        async def work(session: AsyncSession) -> None:
            user = await _user(session, actor)
            await totp.disable(session, user, input.code, info.context.settings)

        outcome = await in_transaction(info, work)
        if isinstance(outcome, DomainError):
            return TotpPayload(errors=_errors(outcome), enabled=True)
        return TotpPayload(errors=[], enabled=False)

    @strawberry.mutation(
        metadata=requires("core.apikey:write"),
        description="Create an API key for a department and role; the key is shown only here.",
    )
    async def api_key_create(
        self, info: strawberry.Info, input: ApiKeyCreateInput
    ) -> ApiKeyCreatePayload:
        ctx: RequestContext = info.context

        async def work(session: AsyncSession) -> apikeys.CreatedApiKey:
            return await apikeys.create_api_key(
                session,
                name=input.name,
                department=input.department,
                role=input.role,
                created_by=ctx.actor.user_id,
                admin=admin_of(info),
                expires_at=input.expires_at,
            )

        outcome = await in_transaction(info, work)
        if isinstance(outcome, DomainError):
            return ApiKeyCreatePayload(errors=_errors(outcome))
        await policies_changed(ctx.state)
        return ApiKeyCreatePayload(errors=[], api_key=ApiKey.of(outcome.info), key=outcome.key)

    @strawberry.mutation(
        metadata=requires("core.apikey:delete"), description="Revoke an API key at once."
    )
    async def api_key_revoke(
        self, info: strawberry.Info, input: ApiKeyRevokeInput
    ) -> ApiKeyPayload:
        async def work(session: AsyncSession) -> apikeys.ApiKeyInfo:
            key_id: uuid.UUID = decode_id(input.id, "ApiKey")
            return await apikeys.revoke_api_key(session, key_id)

        outcome = await in_transaction(info, work)
        if isinstance(outcome, DomainError):
            return ApiKeyPayload(errors=_errors(outcome))
        await policies_changed(info.context.state)
        return ApiKeyPayload(errors=[], api_key=ApiKey.of(outcome))


MUTATION = AuthMutation
