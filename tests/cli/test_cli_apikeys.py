"""``unicrm apikeys create|list|revoke`` on a migrated database."""

from __future__ import annotations

import re

from cli.support import ok, one_line_error


def test_apikeys_create_list_revoke(unicrm, migrated):
    ok(unicrm("departments", "create", "sales", "--plugins", "sfa"))

    created = ok(
        unicrm("apikeys", "create", "--name", "POS sync", "-d", "sales", "--role", "store_staff")
    )

    header, key = created.strip().splitlines()
    prefix = re.fullmatch(
        r"created API key ([0-9a-f]{12}) \(POS sync, sales, store_staff\)", header
    )
    assert prefix is not None
    assert key.startswith(f"ucrm_{prefix.group(1)}_")
    listed = ok(unicrm("apikeys", "list"))
    assert listed == f"{prefix.group(1)}  POS sync  (sales, store_staff)  active  last used never\n"
    assert key.split("_", 2)[2] not in listed
    assert ok(unicrm("apikeys", "revoke", prefix.group(1))) == (
        f"revoked API key {prefix.group(1)}\n"
    )
    assert re.search(rf"^{prefix.group(1)} .* revoked 20\d\d-", ok(unicrm("apikeys", "list")))


def test_apikeys_reject_bad_input_in_one_line(unicrm, migrated):
    cases = [
        (("create", "--name", "x", "-d", "nowhere", "--role", "r"), "no department 'nowhere'"),
        (("create", "--name", " ", "-d", "default", "--role", "r"), "an API key needs a name"),
        (("create", "--name", "x", "-d", "default", "--role", "Bad Role"), "a role name is"),
        (("revoke", "000000000000"), "no API key with prefix '000000000000'"),
    ]
    for args, message in cases:
        assert message in one_line_error(unicrm("apikeys", *args))
    assert ok(unicrm("apikeys", "list")) == "no API keys\n"
