"""``unicrm audit list``: the same filters as ``auditLog``, as a table or JSON."""

from __future__ import annotations

import asyncio
import json
import uuid

from cli.conftest import cli_environment, database_url, migrated, unicrm  # noqa: F401
from cli.support import ok, one_line_error

from unicrm.core.audit.services import record
from unicrm.core.cli.runtime import out as console
from unicrm.core.config import load_settings
from unicrm.core.graph.context import Actor
from unicrm.core.graph.ids import to_global_id
from unicrm.core.state import create_state

ALICE = Actor(user_id=uuid.UUID(int=0xA), name="Alice", kind="user")
CUSTOMER = to_global_id("Customer", uuid.UUID(int=1))


def seed() -> None:
    """Three entries through ``record``, with the settings the command line reads."""

    async def write() -> None:
        state = create_state(load_settings(), plugins={})
        try:
            for action, targets in (("auth.login", []), ("mutation", [CUSTOMER]), ("merge", [])):
                async with state.db.transaction() as session:
                    await record(
                        session,
                        actor=ALICE,
                        action=action,
                        department="sales",
                        targets=targets,
                        field="customerUpdate" if action == "mutation" else None,
                    )
        finally:
            await state.db.dispose()

    asyncio.run(write())


def test_audit_list_prints_a_table_newest_first(unicrm, migrated, monkeypatch):  # noqa: F811
    seed()
    monkeypatch.setattr(console, "width", 200)
    out = ok(unicrm("audit", "list"))
    lines = [line for line in out.splitlines() if "Alice (user)" in line]
    assert [("merge" in x, "customerUpdate" in x, "auth.login" in x) for x in lines] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert CUSTOMER in out


def test_audit_list_filters_and_pages_as_json(unicrm, migrated):  # noqa: F811
    seed()
    page = json.loads(ok(unicrm("audit", "list", "--json", "--first", "2")))
    assert [e["action"] for e in page["entries"]] == ["merge", "mutation"]
    assert page["next"] is not None
    rest = json.loads(ok(unicrm("audit", "list", "--json", "--after", page["next"])))
    # the oldest: `db upgrade` synchronised the default roles, a policy change
    assert [e["action"] for e in rest["entries"]] == ["auth.login", "policy.change"]
    assert rest["next"] is None

    found = json.loads(ok(unicrm("audit", "list", "--json", "--target-id", CUSTOMER)))
    (entry,) = found["entries"]
    assert entry["field"] == "customerUpdate"
    assert entry["actor_id"] == to_global_id("User", ALICE.user_id)
    assert entry["targets"] == [CUSTOMER]
    actor = to_global_id("User", ALICE.user_id)
    by = json.loads(ok(unicrm("audit", "list", "--json", "--actor-id", actor, "--action", "merge")))
    assert [e["action"] for e in by["entries"]] == ["merge"]
    none = json.loads(ok(unicrm("audit", "list", "--json", "--department", "default")))
    assert none == {"entries": [], "next": None}


def test_audit_list_refuses_a_bad_filter_with_one_line(unicrm, migrated):  # noqa: F811
    assert "targetId is not a valid id" in one_line_error(
        unicrm("audit", "list", "--target-id", "%%%")
    )
    assert "from needs a time zone" in one_line_error(
        unicrm("audit", "list", "--from", "2026-01-01T00:00:00")
    )
    assert "from must not be later than to" in one_line_error(
        unicrm("audit", "list", "--from", "2026-02-01T00:00Z", "--to", "2026-01-01T00:00Z")
    )
    bad_time = unicrm("audit", "list", "--to", "yesterday")
    assert bad_time.exit_code == 2
    assert "is not an ISO 8601 time" in bad_time.stderr


def test_audit_list_on_an_unmigrated_database_says_so(unicrm, database_url):  # noqa: F811
    assert "not migrated" in one_line_error(unicrm("audit", "list"))
