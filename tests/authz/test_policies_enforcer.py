"""The Authorizer decides exactly as casbin's enforce does with UniCRM's model, fast."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from unicrm.core.authz.enforcer import NO_RULE, Authorizer, Rule

ALICE = "user:01900000-0000-7000-8000-000000000001"
BOB = "user:01900000-0000-7000-8000-000000000002"
KEY = "apikey:01900000-0000-7000-8000-000000000003"

RULES = [
    Rule.allow("admin", "*", "*", "*"),
    Rule.allow("analyst", "*", "core.*", "read"),
    Rule.allow("analyst", "*", "sfa.deal", "read"),
    Rule.allow("manager", "*", "core.customer", "*"),
    Rule.allow("manager", "*", "pii:*", "read"),
    Rule.link("manager", "analyst", "*"),
    Rule.allow("field_sales", "*", "sfa.deal", "read", "own"),
    Rule.allow("field_sales", "sales", "sfa.deal", "read", "team"),
    Rule.allow("field_sales", "*", "sfa.deal", "write", "own"),
    Rule.allow("store_staff", "shop", "pii:contact", "read_masked"),
    Rule.deny("store_staff", "*", "Customer.taxId", "read"),
    Rule.allow("store_staff", "*", "Customer.*", "read"),
    Rule.deny("analyst", "sales", "sfa.deal", "read"),
    Rule.link(ALICE, "manager", "sales"),
    Rule.link(ALICE, "field_sales", "*"),
    Rule.link(BOB, "store_staff", "shop"),
    Rule.link(BOB, "analyst", "*"),
    Rule.link(KEY, "admin", "shop"),
]


@pytest.fixture
def authz() -> Authorizer:
    authorizer = Authorizer()
    authorizer.load(RULES)
    return authorizer


def test_decisions_equal_casbin_enforce_on_every_request(authz):
    subjects = (ALICE, BOB, KEY, "manager", "user:nobody")
    departments = ("sales", "shop", "*", "marketing")
    objects = (
        "core.customer",
        "core.contact",
        "sfa.deal",
        "pii:contact",
        "pii:identity",
        "Customer.taxId",
        "Customer.email",
        "loyalty.member",
    )
    actions = ("read", "write", "delete", "read_masked")
    checked = 0
    for request in itertools.product(subjects, departments, objects, actions):
        assert authz.allowed(*request) == authz.casbin.enforce(*request), request
        checked += 1
    assert checked == 5 * 4 * 8 * 4


def test_roles_include_inherited_and_organization_wide_assignments(authz):
    assert authz.roles_for(ALICE, "sales") == {"manager", "analyst", "field_sales"}
    assert authz.roles_for(ALICE, "shop") == {"field_sales"}
    assert authz.roles_for(BOB, "shop") == {"store_staff", "analyst"}


def test_a_deny_rule_wins_over_every_allow(authz):
    assert authz.allowed(BOB, "shop", "Customer.email", "read")
    assert not authz.allowed(BOB, "shop", "Customer.taxId", "read")
    assert authz.denied(BOB, "shop", "Customer.taxId", "read")


def test_scope_is_the_widest_matching_allow(authz):
    assert authz.scope(ALICE, "shop", "sfa.deal", "read") == "own"
    assert authz.scope(ALICE, "sales", "sfa.deal", "write") == "own"
    assert authz.scope(KEY, "shop", "sfa.deal", "read") == "all"
    # analysts are denied deals in sales, which beats Alice's field_sales allow there
    assert authz.scope(ALICE, "sales", "sfa.deal", "read") is None


def test_explain_names_the_rule_and_the_role_chain(authz):
    allowed = authz.explain(ALICE, "sales", "core.contact", "read")
    denied = authz.explain(ALICE, "sales", "sfa.deal", "read")
    nothing = authz.explain(BOB, "sales", "loyalty.member", "write")

    assert allowed.allowed and allowed.chain == (ALICE, "manager", "analyst")
    assert allowed.rule == Rule.allow("analyst", "*", "core.*", "read")
    assert not denied.allowed and denied.effect == "deny"
    assert "deny" in denied.reason and "analyst" in denied.reason
    assert not nothing.allowed and nothing.reason == NO_RULE and nothing.rule is None


def test_time_limited_rules_start_and_end_at_their_boundaries():
    now = [datetime(2026, 1, 1, 9, tzinfo=UTC)]
    authz = Authorizer(clock=lambda: now[0])
    start, end = now[0] + timedelta(hours=1), now[0] + timedelta(hours=2)
    authz.load(
        [
            Rule.link(ALICE, "temp", "*"),
            Rule.allow("temp", "*", "sfa.deal", "read", valid_from=start, valid_until=end),
        ]
    )
    version = authz.version

    assert not authz.allowed(ALICE, "sales", "sfa.deal", "read")
    now[0] = start
    assert authz.allowed(ALICE, "sales", "sfa.deal", "read")
    assert authz.version == version + 1
    now[0] = end
    assert not authz.allowed(ALICE, "sales", "sfa.deal", "read")
    assert authz.version == version + 2


def test_every_load_is_a_new_version(authz):
    version = authz.version
    authz.load(RULES[:3])

    assert authz.version == version + 1
    assert not authz.allowed(BOB, "shop", "core.customer", "read")
