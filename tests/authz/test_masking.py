from datetime import date

import pytest

from unicrm.core.authz.masking import mask


@pytest.mark.parametrize(
    ("value", "style", "masked"),
    [
        ("+66812345678", "phone", "08x-xxx-5678"),
        ("+6621234567", "phone", "02x-xxx-4567"),
        ("+14155550123", "phone", "41x-xxx-0123"),
        ("12345", "phone", "xxxxx"),
        ("somchai@example.com", "email", "s***@example.com"),
        ("not-an-email", "email", "n***"),
        ("Somchai Jaidee", "profile", "S***"),
        ("", "profile", ""),
        (None, "email", None),
        (["a@b.co", "c@d.co"], "email", ["a***@b.co", "c***@d.co"]),
        (date(1990, 5, 1), "profile", None),
        (42, "profile", 42),
    ],
)
def test_masked_values_keep_only_what_staff_need_to_recognise_them(value, style, masked):
    assert mask(value, style) == masked
