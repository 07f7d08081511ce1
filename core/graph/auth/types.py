from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.apikeys import ApiKeyInfo
from unicrm.core.authz.declare import PUBLIC, guard
from unicrm.core.authz.sessions import IssuedTokens
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.plan import direct
from unicrm.core.graph.users.types import User


@guard(PUBLIC)
@strawberry.type(description="Tokens of a session: send the access token as a Bearer token.")
class AuthTokens:
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str = strawberry.field(
        description="Trade it once with tokenRefresh (or POST /auth/token) for new tokens."
    )
    refresh_token_expires_at: datetime
    token_type: str

    @classmethod
    def of(cls, tokens: IssuedTokens) -> AuthTokens:
        return cls(
            access_token=tokens.access_token,
            access_token_expires_at=tokens.access_token_expires_at,
            refresh_token=tokens.refresh_token,
            refresh_token_expires_at=tokens.refresh_token_expires_at,
            token_type=tokens.token_type,
        )


@guard("core.apikey")
@strawberry.type(description="An API key of an integration (the secret is never shown again).")
class ApiKey:
    id: strawberry.ID
    prefix: str = strawberry.field(description="The public part of the key: ucrm_<prefix>_...")
    name: str
    department: str = strawberry.field(description="The slug of the department it works in.")
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="When it was last used, to the minute."
    )
    created_by_pk: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The user who created the key.")
    @direct
    async def created_by(self, info: strawberry.Info) -> User | None:
        if self.created_by_pk is None:
            return None
        return await User.load_node(info, self.created_by_pk)

    @classmethod
    def of(cls, info: ApiKeyInfo) -> ApiKey:
        return cls(
            id=strawberry.ID(to_global_id("ApiKey", info.id)),
            prefix=info.prefix,
            name=info.name,
            department=info.department,
            role=info.role,
            created_at=info.created_at,
            expires_at=info.expires_at,
            revoked_at=info.revoked_at,
            last_used_at=info.last_used_at,
            created_by_pk=info.created_by,
        )


@strawberry.enum
class AuthErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    INVALID_CODE = "invalid_code"
    NOT_ENROLLED = "not_enrolled"
    ALREADY_ENROLLED = "already_enrolled"


@strawberry.type
class AuthError:
    field: str | None
    code: AuthErrorCode
    message: str


@strawberry.input
class LoginInput:
    email: str
    password: str
    totp_code: str | None = None


@strawberry.input
class TokenRefreshInput:
    refresh_token: str


@strawberry.input
class SessionsRevokeInput:
    user_id: strawberry.ID = strawberry.field(
        description="Yours, or anyone's with core.user:write."
    )


@strawberry.input
class TotpCodeInput:
    code: str


@strawberry.input
class TotpEnrollInput:
    enrollment_token: str | None = strawberry.field(
        default=None,
        description="From a sign-in refused with TOTP_ENROLLMENT_REQUIRED; not needed when "
        "signed in.",
    )


@strawberry.input
class TotpConfirmInput:
    code: str
    enrollment_token: str | None = strawberry.field(
        default=None,
        description="From a sign-in refused with TOTP_ENROLLMENT_REQUIRED; not needed when "
        "signed in.",
    )


@strawberry.input
class ApiKeyCreateInput:
    name: str
    department: str = strawberry.field(description="The slug of the department it works in.")
    role: str = strawberry.field(description="The role it acts as in that department.")
    expires_at: datetime | None = None


@strawberry.input
class ApiKeyRevokeInput:
    id: strawberry.ID


@strawberry.type
class LoginPayload:
    errors: list[AuthError]
    tokens: AuthTokens | None = None


@strawberry.type
class TokenRefreshPayload:
    errors: list[AuthError]
    tokens: AuthTokens | None = None


@strawberry.type
class LogoutPayload:
    errors: list[AuthError]
    revoked: bool = False


@strawberry.type
class SessionsRevokePayload:
    errors: list[AuthError]
    revoked_count: int = 0


@strawberry.type
class TotpEnrollPayload:
    errors: list[AuthError]
    secret: str | None = strawberry.field(
        default=None, description="Shown once: enter it in an authenticator app."
    )
    uri: str | None = strawberry.field(
        default=None, description="The otpauth:// URI (for a QR code), shown once."
    )


@strawberry.type
class TotpPayload:
    errors: list[AuthError]
    enabled: bool = False


@strawberry.type
class ApiKeyCreatePayload:
    errors: list[AuthError]
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(
        default=None, description="The full key, shown only in this answer."
    )


@strawberry.type
class ApiKeyPayload:
    errors: list[AuthError]
    api_key: ApiKey | None = None
