"""Password hashing with argon2id.

Hashes carry their parameters, so ``needs_rehash`` tells when a stored hash was made with
older (weaker) parameters; sign-in then stores a fresh hash. ``verify_dummy`` spends the
same time as a real verification, for sign-ins with an unknown e-mail.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from unicrm.core.errors import DomainError

MIN_PASSWORD = 8
MAX_PASSWORD = 1024

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("unicrm dummy password for unknown accounts")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``; too short or too long is a ``DomainError``."""
    if len(password) < MIN_PASSWORD:
        raise DomainError.single(
            "TOO_SHORT", f"a password needs at least {MIN_PASSWORD} characters", "password"
        )
    if len(password) > MAX_PASSWORD:
        raise DomainError.single("TOO_LONG", "the password is too long", "password")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if password_hash is None or len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_dummy(password: str) -> None:
    """Verify ``password`` against a fixed hash and ignore the result (similar timing)."""
    verify_password(_DUMMY_HASH, password[:MAX_PASSWORD])


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with parameters other than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
