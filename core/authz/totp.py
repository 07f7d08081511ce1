"""TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits).

A user enrolls (``enroll``: a new secret and its ``otpauth://`` URI, shown once), proves
their authenticator works (``confirm`` with a first code), and from then on signs in with a
code as well as the password. A code is accepted for the current step or one step either
side (clock drift), and each step only once: the last accepted step is stored, so replaying
a code is refused.

The seed is stored sealed (AES-GCM with a key derived from ``secret_key``, bound to the
user), so neither the database nor a driver's debug log reveals it. Changing ``secret_key``
therefore means re-enrolling.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.enforcer import Authorizer
from unicrm.core.authz.models import TotpCredential
from unicrm.core.config import Settings
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.graph.departments.models import Department
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


def _cipher(settings: Settings) -> AESGCM:
    root = settings.secret_key.get_secret_value().encode()
    return AESGCM(hmac.new(root, b"unicrm totp seeds", hashlib.sha256).digest())


def seal(settings: Settings, user_id: uuid.UUID, secret: str) -> str:
    """The stored form of a seed: nonce and ciphertext, bound to the user."""
    nonce = secrets.token_bytes(12)
    sealed = _cipher(settings).encrypt(nonce, _key(secret), user_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Settings, user_id: uuid.UUID, sealed: str) -> bytes | None:
    """The seed's key bytes, or None when it was sealed under another ``secret_key``."""
    raw = base64.urlsafe_b64decode(sealed.encode())
    try:
        return _cipher(settings).decrypt(raw[:12], raw[12:], user_id.bytes)
    except InvalidTag:
        return None


def provisioning_uri(secret: str, account: str) -> str:
    label = quote(f"{ISSUER}:{account}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS, "period": 30})
    return f"otpauth://totp/{label}?{query}"


def matching_step(key: bytes | None, code: str, *, now: float | None = None) -> int | None:
    """The step (within the allowed drift) whose code is ``code`` for ``key``, or None."""
    code = code.strip().replace(" ", "")
    if key is None or len(code) != DIGITS or not code.isdigit():
        return None
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


async def totp_required(
    session: AsyncSession, user: User, settings: Settings, authz: Authorizer | None
) -> bool:
    """Whether ``user`` must use a second factor even before enrolling one: they hold one of
    ``auth.totp_required_roles`` in some department. An enrolled user always needs a code."""
    required = set(settings.auth.totp_required_roles)
    if not required or authz is None:
        return False
    subject = f"user:{user.id}"
    departments = await session.scalars(select(Department.slug))
    return any(required & authz.roles_for(subject, slug) for slug in departments)


async def enroll(session: AsyncSession, user: User, settings: Settings) -> Enrollment:
    """Start (or restart) enrollment: a new unconfirmed secret. Refused while one is active."""
    row = await credential(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise DomainError.single(
            "ALREADY_ENROLLED", "two-factor sign-in is already on; disable it first"
        )
    secret = new_secret()
    sealed = seal(settings, user.id, secret)
    if row is None:
        session.add(TotpCredential(user_id=user.id, sealed_secret=sealed))
    else:
        row.sealed_secret, row.created_at, row.last_step = sealed, utcnow(), None
    await session.flush()
    return Enrollment(secret=secret, uri=provisioning_uri(secret, user.email))


async def confirm(session: AsyncSession, user: User, code: str, settings: Settings) -> None:
    """Turn two-factor sign-in on with a first valid code from the authenticator."""
    row = await credential(session, user.id)
    if row is None:
        raise DomainError.single("NOT_ENROLLED", "start two-factor enrollment first")
    if row.confirmed_at is not None:
        raise DomainError.single("ALREADY_ENROLLED", "two-factor sign-in is already on")
    step = matching_step(unseal(settings, user.id, row.sealed_secret), code)
    if step is None:
        raise DomainError.single("INVALID_CODE", "the code is not valid", "code")
    row.confirmed_at, row.last_step = utcnow(), step
    await session.flush()


async def verify(session: AsyncSession, user_id: uuid.UUID, code: str, settings: Settings) -> bool:
    """Check a sign-in code of an enrolled user, refusing one already used."""
    row = await credential(session, user_id)
    if row is None or row.confirmed_at is None:
        return False
    step = matching_step(unseal(settings, user_id, row.sealed_secret), code)
    if step is None or (row.last_step is not None and step <= row.last_step):
        return False
    row.last_step = step
    await session.flush()
    return True


async def disable(session: AsyncSession, user: User, code: str, settings: Settings) -> None:
    """Turn two-factor sign-in off; needs a current code, so a stolen session cannot."""
    if not await verify(session, user.id, code, settings):
        raise DomainError.single("INVALID_CODE", "the code is not valid", "code")
    await session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
