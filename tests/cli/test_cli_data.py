"""``unicrm demo``, ``users``, ``departments`` and ``plugins list`` on a migrated database."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import func, select

from cli.support import ok, one_line_error
from unicrm.core.authz.passwords import verify_password
from unicrm.core.config import load_settings
from unicrm.core.demo_workplace import FIELD_SALES, SEGMENTS, STORES
from unicrm.core.graph.bookings.models import BookingResource
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.leads.models import Lead
from unicrm.core.graph.relationships.models import CompanyContact
from unicrm.core.graph.stores.models import Store
from unicrm.core.graph.teams.models import Team
from unicrm.core.graph.users.models import User
from unicrm.core.messaging.models import MessageTemplate
from unicrm.core.segments.models import Segment
from unicrm.core.state import create_state
from unicrm.plugins.ma.models import LeadScore

THAI = re.compile(r"[\u0e00-\u0e7f]")


def query(statement: Any) -> list[Any]:
    """Rows of one statement, read through the same settings the command line uses."""

    async def read() -> list[Any]:
        state = create_state(load_settings(), plugins={})
        try:
            async with state.db.session() as session:
                return list((await session.execute(statement)).all())
        finally:
            await state.db.dispose()

    return asyncio.run(read())


def count(model: type) -> int:
    return query(select(func.count()).select_from(model))[0][0]


def test_demo_seeds_people_and_companies_then_plugin_data(unicrm, migrated):
    out = ok(unicrm("demo", "--size", "30", "--seed", "7"))
    assert out.startswith("demo data: 30 customers")
    rows = query(select(Customer.kind, Customer.display_name))
    assert len(rows) == 30
    kinds = {kind for kind, _ in rows}
    assert kinds == {CustomerKind.PERSON, CustomerKind.COMPANY}
    names = [name for _, name in rows]
    assert any(THAI.search(n) for n in names)
    assert any(n.isascii() for n in names)
    assert count(CompanyContact) > 0
    assert count(LeadScore) > 0


def test_demo_with_the_same_seed_makes_the_same_customers(unicrm, migrated):
    by_creation = select(Customer.display_name).order_by(Customer.id)
    ok(unicrm("demo", "--size", "12", "--seed", "42"))
    first = query(by_creation)
    ok(unicrm("db", "downgrade", "base"))
    ok(unicrm("db", "upgrade"))
    ok(unicrm("demo", "--size", "12", "--seed", "42"))
    assert query(by_creation) == first


def test_demo_size_must_be_positive(unicrm, migrated):
    result = unicrm("demo", "--size", "0")
    assert result.exit_code == 2
    assert count(Customer) == 0


def test_users_create_list_disable(unicrm, migrated):
    ok(unicrm("departments", "create", "sales", "--plugins", "sfa"))
    ok(unicrm("departments", "create", "service", "--plugins", "crm"))
    created = unicrm(
        "users", "create", "--email", " Nok@Example.COM ", "--name", "Nok  Srisuk",
        "--password", "correct horse", "--department", "service", "--department", "sales",
    )  # fmt: skip
    assert ok(created).strip() == "created user nok@example.com"
    listed = ok(unicrm("users", "list"))
    assert re.search(
        r"nok@example\.com\s+│\s+Nok Srisuk\s+│\s+yes\s+│\s+service\s+│\s+sales, service", listed
    )
    assert (
        ok(unicrm("users", "disable", "NOK@example.com")).strip() == "disabled user nok@example.com"
    )
    assert re.search(r"nok@example\.com\s+│\s+Nok Srisuk\s+│\s+no\s+│", ok(unicrm("users", "list")))
    ((stored,),) = query(select(User.password_hash))
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")


def test_users_create_rejects_bad_input_and_writes_nothing(unicrm, migrated):
    ok(unicrm("users", "create", "--email", "a@example.com", "--name", "A"))
    cases = {
        ("--email", "A@EXAMPLE.COM", "--name", "B"): "a user with e-mail a@example.com exists",
        ("--email", "not-an-address", "--name", "B"): "not a valid email address",
        ("--email", "b@example.com", "--name", "  "): "a user needs a name",
        ("--email", "b@example.com", "--name", "B", "--password", "short"): "at least 8",
        ("--email", "b@example.com", "--name", "B", "--department", "nope"): "no department",
    }
    for args, message in cases.items():
        assert message in one_line_error(unicrm("users", "create", *args))
    assert count(User) == 1


def test_users_disable_of_an_unknown_user_is_one_line(unicrm, migrated):
    assert one_line_error(unicrm("users", "disable", "ghost@example.com")) == (
        "no user with e-mail ghost@example.com"
    )


def test_departments_create_enable_disable_list(unicrm, migrated):
    assert ok(
        unicrm("departments", "create", "sales", "--name", "Sales", "--plugins", "sfa,ma")
    ) == ("created sales: ma, sfa (version 1)\n")
    assert ok(unicrm("departments", "enable", "sales", "crm", "loyalty")) == (
        "sales: crm, loyalty, ma, sfa (version 2)\n"
    )
    assert ok(unicrm("departments", "disable", "sales", "ma")) == (
        "sales: crm, loyalty, sfa (version 3)\n"
    )
    assert re.search(
        r"sales\s+│\s+Sales\s+│\s+crm, loyalty, sfa\s+│\s+3", ok(unicrm("departments", "list"))
    )
    plugins = ok(unicrm("plugins", "list"))
    assert re.search(r"\bsfa\s+│\s+yes\s+│\s+[\d.]+\s+│\s+\S+\s+│\s+sales\s+│", plugins)
    assert re.search(r"\bma\s+│\s+yes\s+│\s+[\d.]+\s+│\s+\S+\s+│\s+-\s+│", plugins)


def test_departments_reject_bad_input(unicrm, migrated):
    ok(unicrm("departments", "create", "sales"))
    cases = {
        ("create", "sales"): "department 'sales' exists",
        ("create", "Sales Team"): "slug must be lowercase letters, digits and dashes",
        ("create", "support", "--plugins", "crm,astrology"): "plugin 'astrology' is not installed",
        ("enable", "sales", "astrology"): "plugin 'astrology' is not installed",
        ("disable", "sales", "astrology"): "plugin 'astrology' is not installed",
        ("enable", "nowhere", "ma"): "no department 'nowhere'",
    }
    for args, message in cases.items():
        assert one_line_error(unicrm("departments", *args)) == message


def test_schema_export_of_a_department_uses_its_plugins(unicrm, migrated):
    ok(unicrm("departments", "create", "sales", "--plugins", "sfa"))
    sdl = ok(unicrm("schema", "export", "--department", "sales"))
    assert sdl == ok(unicrm("schema", "export", "--plugins", "sfa"))
    assert "leadScore" not in sdl
    assert one_line_error(unicrm("schema", "export", "-d", "nowhere")) == "no department 'nowhere'"


def test_demo_sets_up_the_shared_domain_once_and_the_field_sales_rep_s_leads(unicrm, migrated):
    ok(unicrm("demo", "--size", "30", "--seed", "7"))
    ok(unicrm("demo", "--size", "6", "--seed", "8"))  # a second load duplicates nothing

    assert sorted(code for (code,) in query(select(Store.code))) == sorted(
        code for code, *_ in STORES
    )
    assert query(select(func.count()).select_from(BookingResource))[0][0] == len(STORES)
    assert sorted(name for (name,) in query(select(Segment.name))) == sorted(
        name for name, _ in SEGMENTS
    )
    assert query(select(Team.name)) == [("Bangkok field sales",)]
    templates = query(select(MessageTemplate.key, MessageTemplate.locale))
    assert len(templates) == len(set(templates))
    reminders = sorted(t for t in templates if t[0] == "booking_reminder")
    assert reminders == [("booking_reminder", "en"), ("booking_reminder", "th")]
    rep = query(select(User.id).where(User.email == FIELD_SALES))[0][0]
    leads = query(select(Lead.owner_id, Customer.owner_id).join(Customer))
    assert len(leads) >= 10
    assert set(leads) == {(rep, rep)}
