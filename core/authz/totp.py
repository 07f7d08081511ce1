"""TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits).

A user enrolls (``enroll``: a new secret and its ``otpauth://`` URI, shown once), proves
their authenticator works (``confirm`` with a first code), and from then on signs in with a
code as well as the password. A code is accepted for the current step or one step either
side (clock drift), and each step only once: the last accepted step is stored, so replaying
a code is refused.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.models import TotpCredential
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.graph.users.models import User

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "UniCRM"


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A new TOTP secret; shown to the user once, to put in their authenticator app."""

    secret: str
    uri: str

    def __repr__(self) -> str:
        return "Enrollment(***)"


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 HOTP value of ``counter`` (``digest`` sha1, sha256 or sha512 for RFC 6238)."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_at(moment: float) -> int:
    return int(moment // STEP_SECONDS)


def new_secret() -> str:
    """A random 160-bit secret in base32, the form authenticator apps take."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def provisioning_uri(secret: str, account: str) -> str:
    label = quote(f"{ISSUER}:{account}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS, "period": 30})
    return f"otpauth://totp/{label}?{query}"


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The step (within the allowed drift) whose code is ``code``, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    key = _key(secret)
    current = step_at(time.time() if now is None else now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


async def credential(session: AsyncSession, user_id: uuid.UUID) -> TotpCredential | None:
    return await session.get(TotpCredential, user_id)


async def is_enrolled(session: AsyncSession, user_id: uuid.UUID) -> bool:
    row = await credential(session, user_id)
    return row is not None and row.confirmed_at is not None


def totp_required(user: User) -> bool:
    """Whether ``user`` must use a second factor even before enrolling one.

    The hook point for policies such as "administrators need two-factor sign-in"; today no
    user is required to. An enrolled user always needs a code.
    """
    return False


async def enroll(session: AsyncSession, user: User) -> Enrollment:
    """Start (or restart) enrollment: a new unconfirmed secret. Refused while one is active."""
    row = await credential(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise DomainError.single(
            "ALREADY_ENROLLED", "two-factor sign-in is already on; disable it first"
        )
    secret = new_secret()
    if row is None:
        session.add(TotpCredential(user_id=user.id, secret=secret))
    else:
        row.secret, row.created_at, row.last_step = secret, utcnow(), None
    await session.flush()
    return Enrollment(secret=secret, uri=provisioning_uri(secret, user.email))


async def confirm(session: AsyncSession, user: User, code: str) -> None:
    """Turn two-factor sign-in on with a first valid code from the authenticator."""
    row = await credential(session, user.id)
    if row is None:
        raise DomainError.single("NOT_ENROLLED", "start two-factor enrollment first")
    if row.confirmed_at is not None:
        raise DomainError.single("ALREADY_ENROLLED", "two-factor sign-in is already on")
    step = matching_step(row.secret, code)
    if step is None:
        raise DomainError.single("INVALID_CODE", "the code is not valid", "code")
    row.confirmed_at, row.last_step = utcnow(), step
    await session.flush()


async def verify(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    """Check a sign-in code of an enrolled user, refusing one already used."""
    row = await credential(session, user_id)
    if row is None or row.confirmed_at is None:
        return False
    step = matching_step(row.secret, code)
    if step is None or (row.last_step is not None and step <= row.last_step):
        return False
    row.last_step = step
    await session.flush()
    return True


async def disable(session: AsyncSession, user: User, code: str) -> None:
    """Turn two-factor sign-in off; needs a current code, so a stolen session cannot."""
    if not await verify(session, user.id, code):
        raise DomainError.single("INVALID_CODE", "the code is not valid", "code")
    await session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
