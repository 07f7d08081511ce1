"""Case categories: lower-case keys such as ``billing`` or ``device/screen``."""

from __future__ import annotations

import re

from unicrm.core.errors import FieldError

CATEGORY = re.compile(r"[a-z0-9][a-z0-9_/-]{0,63}")


def normalize_category(
    value: str | None, errors: list[FieldError], field: str = "category"
) -> str | None:
    """A category is a lower-case key such as ``billing`` or ``device/screen``."""
    category = (value or "").strip().lower() or None
    if category is not None and not CATEGORY.fullmatch(category):
        errors.append(
            FieldError(
                "INVALID",
                "a category is a lower-case key of letters, digits, _ - / (at most 64)",
                field,
            )
        )
    return category
