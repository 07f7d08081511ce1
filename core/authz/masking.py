"""Masked values for roles that hold ``read_masked`` but not ``read`` on a PII field.

The style comes from the field's ``mask`` metadata, else from its PII class: emails keep the
first letter and the domain (``s***@example.com``), phones keep the first two digits and the
last four in the national form (``08x-xxx-5678``), anything else keeps its first character.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import phonenumbers


def mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return mask_text(value)
    return f"{local[:1]}***@{domain}"


def _national(value: str) -> str:
    """The digits of a stored E.164 number as dialled at home (``+66812345678`` → 0812345678)."""
    try:
        number = phonenumbers.parse(value, None)
        value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        pass
    return "".join(ch for ch in value if ch.isdigit())


def mask_phone(value: str) -> str:
    digits = _national(value)
    if len(digits) < 7:
        return "x" * len(digits)
    return f"{digits[:2]}x-xxx-{digits[-4:]}"


def mask_text(value: str) -> str:
    return value[:1] + "***" if value else value


STYLES: dict[str, Callable[[str], str]] = {
    "email": mask_email,
    "phone": mask_phone,
    "text": mask_text,
}


def mask(value: Any, style: str | None) -> Any:
    """The masked form of a resolved value: strings masked, dates hidden, lists element-wise."""
    if value is None:
        return None
    if isinstance(value, list):
        return [mask(item, style) for item in value]
    if isinstance(value, str):
        return STYLES.get(style or "text", mask_text)(value)
    if isinstance(value, date):
        return None
    return value
