"""``unicrm roles``, ``grants`` and ``policies`` on a migrated database."""

from __future__ import annotations

import re

from cli.support import ok, one_line_error


def test_roles_grants_and_assignments_from_the_command_line(unicrm, migrated, tmp_path):
    ok(unicrm("departments", "create", "sales", "--plugins", "sfa"))
    ok(unicrm("users", "create", "--email", "nok@example.com", "--name", "Nok"))
    assert "department_admin" in ok(unicrm("roles", "list"))

    assert re.match(
        r"policy version \d+", ok(unicrm("roles", "create", "auditor", "--inherits", "analyst"))
    )
    dry = ok(unicrm("roles", "assign", "nok@example.com", "auditor", "-d", "sales", "--dry-run"))
    assert re.search(r"sfa\.deal\s+│\s+read\s+│\s+gains", dry)
    ok(unicrm("roles", "assign", "nok@example.com", "auditor", "-d", "sales"))
    ok(unicrm("grants", "add", "auditor", "Customer.phone", "read", "-d", "sales"))
    assert re.search(
        r"sales\s+│\s+nok@example\.com\s+│\s+auditor", ok(unicrm("roles", "assignments"))
    )
    assert ok(unicrm("grants", "list", "--role", "auditor")).splitlines() == [
        "p, auditor, sales, Customer.phone, read, allow"
    ]

    explained = ok(unicrm("policies", "explain", "nok@example.com", "sales", "sfa.deal", "read"))
    assert explained.startswith("allowed: allow by rule 'p, analyst, *, sfa.deal, read, allow'")
    report = ok(unicrm("policies", "review", "sales", "Customer.phone", "--csv"))
    assert report.splitlines()[1].split(",")[1:3] == ["nok@example.com", "sales"]

    exported = tmp_path / "policies.csv"
    ok(unicrm("policies", "export", "--output", str(exported)))
    versions = ok(unicrm("policies", "versions"))
    assert "granted" not in versions and "assigned auditor" in versions
    ok(unicrm("roles", "delete", "auditor"))
    assert "+ role auditor" in ok(unicrm("policies", "diff", "5", "3"))
    ok(unicrm("policies", "import", str(exported)))
    assert "auditor" in ok(unicrm("roles", "list"))


def test_bad_policy_commands_fail_in_one_line_and_write_nothing(unicrm, migrated):
    ok(unicrm("roles", "list"))
    before = ok(unicrm("policies", "export"))
    cases = {
        ("grants", "add", "marketer", "sfa.nothing", "read"): "unknown permission 'sfa.nothing'",
        ("grants", "add", "marketer", "sfa.deal", "fly"): "has no action 'fly'",
        ("grants", "add", "marketer", "Customer.shoeSize", "read"): "unknown schema coordinate",
        ("grants", "add", "marketer", "pii:medical", "read"): "unknown PII class",
        ("grants", "add", "ghost", "sfa.deal", "read"): "no role 'ghost'",
        (
            "grants",
            "add",
            "marketer",
            "sfa.deal",
            "read",
            "-d",
            "nowhere",
        ): "no department 'nowhere'",
        ("grants", "add", "marketer", "sfa.deal", "read", "--scope", "galaxy"): "scope is one of",
        (
            "roles",
            "assign",
            "ghost@example.com",
            "marketer",
        ): "no user with e-mail ghost@example.com",
        ("roles", "delete", "admin"): "'admin' is a default role",
        ("policies", "restore", "99"): "no policy version 99",
    }
    for args, message in cases.items():
        assert message in one_line_error(unicrm(*args)), args
    assert ok(unicrm("policies", "export")) == before
