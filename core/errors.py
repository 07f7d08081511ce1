"""Errors shared by every layer.

Two families, following the GraphQL conventions in DESIGN.md section 5:

* ``DomainError`` and its ``FieldError`` items: validation and business failures. Mutations
  return them in their payload's ``errors`` list; nothing is written.
* ``ApiError`` subclasses: authentication, authorization, lookup and internal failures. They
  become top-level GraphQL errors whose ``extensions.code`` tells the client what happened.
"""

from __future__ import annotations

from dataclasses import dataclass


class UniCRMError(Exception):
    """Base of every error UniCRM raises on purpose."""


class ConfigError(UniCRMError):
    """A setting is missing or malformed; the message names it and its expected form."""


class PluginError(UniCRMError):
    """A plugin set cannot start: duplicate, missing requirement, bad hook result."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One validation or business failure, pointing at the input field that caused it."""

    code: str
    message: str
    field: str | None = None


class DomainError(UniCRMError):
    """One or more ``FieldError``s; the transaction that raised it is rolled back."""

    def __init__(self, *errors: FieldError) -> None:
        if not errors:
            raise ValueError("DomainError needs at least one FieldError")
        self.errors = list(errors)
        super().__init__("; ".join(e.message for e in errors))

    @classmethod
    def single(cls, code: str, message: str, field: str | None = None) -> DomainError:
        return cls(FieldError(code=code, message=message, field=field))


class ApiError(UniCRMError):
    """An error reported as a top-level GraphQL error with ``extensions.code``."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def extensions(self) -> dict[str, str]:
        return {"code": self.code}


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class NotFound(ApiError):
    code = "NOT_FOUND"


class BadRequest(ApiError):
    code = "BAD_REQUEST"


class RateLimited(ApiError):
    code = "RATE_LIMITED"
