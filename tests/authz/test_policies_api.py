"""The access-admin GraphQL API: roles, grants, assignments, versions, CSV, dry run, review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from unicrm.core.authz.policy_models import AuthzRule
from unicrm.core.graph.users.models import User

CHANGE = "errors { field code message } version impact { subject department object action change scopeBefore scopeAfter }"

ADMIN = "admin@unicrm.test"


async def admin_subject(state) -> str:
    """The policy subject of the test client's admin (see the ``client`` fixture)."""
    async with state.db.session() as session:
        return f"user:{await session.scalar(select(User.id).where(User.email == ADMIN))}"


async def change(gql, mutation: str, input: dict) -> dict:
    body = await gql(
        f"mutation($input: {mutation[0].upper() + mutation[1:]}Input!) {{ {mutation}(input: $input) {{ {CHANGE} }} }}",
        {"input": input},
    )
    assert "errors" not in body, body
    return body["data"][mutation]


async def assign(gql, subject: str, role: str, department: str = "sales") -> dict:
    return await change(
        gql, "roleAssign", {"subject": subject, "role": role, "department": department}
    )


async def export(gql) -> str:
    return (await gql("{ policyExport }"))["data"]["policyExport"]


async def test_default_roles_are_listed_with_their_rules(gql):
    body = await gql("{ roles { name isDefault inherits rules { object action effect scope } } }")
    roles = {r["name"]: r for r in body["data"]["roles"]}

    assert {
        "admin",
        "department_admin",
        "manager",
        "marketer",
        "inside_sales",
        "field_sales",
        "support_agent",
        "technician",
        "store_staff",
        "analyst",
    } <= roles.keys()
    assert roles["manager"]["inherits"] == ["analyst"]
    assert {"object": "sfa.deal", "action": "write", "effect": "allow", "scope": "own"} in roles[
        "field_sales"
    ]["rules"]
    assert {
        "object": "pii:contact",
        "action": "read_masked",
        "effect": "allow",
        "scope": "all",
    } in roles["store_staff"]["rules"]


async def test_permissions_list_actions_and_owner(gql):
    body = await gql("{ permissions { name actions plugin description } }")
    found = {p["name"]: p for p in body["data"]["permissions"]}

    assert found["sfa.deal"]["plugin"] == "sfa"
    assert found["core.policy"]["actions"] == ["read", "write"]
    assert found["core.role"]["description"]


async def test_a_custom_role_granted_and_assigned_takes_effect_at_once(gql, unicrm_state, people):
    ann = people["ann"]
    assert (await change(gql, "roleCreate", {"name": "auditor", "inherits": ["analyst"]}))[
        "errors"
    ] == []
    granted = await change(
        gql,
        "grantAdd",
        {"role": "auditor", "department": "sales", "object": "Customer.email", "action": "read"},
    )
    assert granted["errors"] == [] and granted["version"] > 1
    assert (await assign(gql, ann, "auditor"))["errors"] == []

    authz = unicrm_state.authz
    assert authz.roles_for(ann, "sales") == {"auditor", "analyst"}
    assert authz.allowed(ann, "sales", "Customer.email", "read")
    assert not authz.allowed(ann, "shop", "Customer.email", "read")
    assert authz.allowed(ann, "sales", "sfa.deal", "read")
    assert authz.roles_for(ann, "shop") == frozenset()


@pytest.mark.parametrize(
    ("grant", "code", "field"),
    [
        ({"object": "sfa.nothing"}, "UNKNOWN_PERMISSION", "object"),
        ({"action": "fly"}, "UNKNOWN_ACTION", "action"),
        ({"object": "Customer.shoeSize"}, "UNKNOWN_COORDINATE", "object"),
        ({"object": "pii:medical"}, "UNKNOWN_PII_CLASS", "object"),
        ({"role": "wizard"}, "UNKNOWN_ROLE", "role"),
        ({"department": "nowhere"}, "UNKNOWN_DEPARTMENT", "department"),
        ({"scope": "galaxy"}, "INVALID_SCOPE", "scope"),
        ({"effect": "maybe"}, "INVALID_EFFECT", "effect"),
        (
            {"validFrom": "2026-02-01T00:00:00+00:00", "validUntil": "2026-01-01T00:00:00+00:00"},
            "INVALID_VALIDITY",
            "validUntil",
        ),
    ],
    ids=[
        "permission",
        "action",
        "coordinate",
        "pii",
        "role",
        "department",
        "scope",
        "effect",
        "validity",
    ],
)
async def test_a_bad_grant_is_a_typed_error_and_writes_nothing(gql, people, grant, code, field):
    before = await export(gql)
    body = await change(
        gql,
        "grantAdd",
        {
            "role": "marketer",
            "department": "sales",
            "object": "sfa.deal",
            "action": "read",
            **grant,
        },
    )

    assert body["version"] is None
    assert {"code": code, "field": field} in [
        {"code": e["code"], "field": e["field"]} for e in body["errors"]
    ]
    assert await export(gql) == before


async def test_bad_role_changes_and_assignments_are_typed_errors(gql, people):
    before = await export(gql)
    cases = [
        ("roleCreate", {"name": "Bad Name"}, "INVALID"),
        ("roleCreate", {"name": "marketer"}, "DUPLICATE"),
        ("roleCreate", {"name": "x_role", "inherits": ["ghost"]}, "UNKNOWN_ROLE"),
        ("roleCreate", {"name": "x_role", "department": "nowhere"}, "UNKNOWN_DEPARTMENT"),
        ("roleUpdate", {"name": "marketer", "description": "mine"}, "DEFAULT_ROLE"),
        ("roleUpdate", {"name": "ghost"}, "UNKNOWN_ROLE"),
        ("roleDelete", {"name": "admin"}, "DEFAULT_ROLE"),
        (
            "roleAssign",
            {"subject": "user:not-a-uuid", "role": "admin", "department": "sales"},
            "UNKNOWN_SUBJECT",
        ),
        (
            "roleAssign",
            {
                "subject": "user:01900000-0000-7000-8000-00000000dead",
                "role": "admin",
                "department": "sales",
            },
            "UNKNOWN_SUBJECT",
        ),
        (
            "roleAssign",
            {"subject": people["ann"], "role": "ghost", "department": "sales"},
            "UNKNOWN_ROLE",
        ),
        (
            "roleAssign",
            {"subject": people["ann"], "role": "admin", "department": "nowhere"},
            "UNKNOWN_DEPARTMENT",
        ),
        (
            "roleUnassign",
            {"subject": people["ann"], "role": "admin", "department": "sales"},
            "NOT_FOUND",
        ),
        (
            "grantRevoke",
            {"role": "marketer", "department": "*", "object": "core.customer", "action": "read"},
            "DEFAULT_RULE",
        ),
        (
            "grantRevoke",
            {"role": "marketer", "department": "sales", "object": "sfa.deal", "action": "read"},
            "NOT_FOUND",
        ),
        ("policyRestore", {"number": 999}, "NOT_FOUND"),
    ]
    for mutation, input, code in cases:
        body = await change(gql, mutation, input)
        assert [e["code"] for e in body["errors"]] == [code], (mutation, input, body)
    assert await export(gql) == before


async def test_an_inheritance_cycle_is_refused(gql):
    await change(gql, "roleCreate", {"name": "first"})
    await change(gql, "roleCreate", {"name": "second", "inherits": ["first"]})

    body = await change(gql, "roleUpdate", {"name": "first", "inherits": ["second"]})

    assert [e["code"] for e in body["errors"]] == ["INHERITANCE_CYCLE"]


async def test_dry_run_shows_who_gains_and_writes_nothing(gql, unicrm_state, people):
    ann = people["ann"]
    await assign(gql, ann, "marketer")
    before = await export(gql)
    version = unicrm_state.authz.version

    body = await change(
        gql,
        "grantAdd",
        {
            "role": "marketer",
            "department": "sales",
            "object": "sfa.deal",
            "action": "read",
            "dryRun": True,
        },
    )

    assert body["errors"] == [] and body["version"] is None
    assert {
        "subject": ann,
        "department": "sales",
        "object": "sfa.deal",
        "action": "read",
        "change": "gains",
        "scopeBefore": None,
        "scopeAfter": "all",
    } in body["impact"]
    assert all(i["department"] == "sales" for i in body["impact"])
    assert await export(gql) == before
    assert unicrm_state.authz.version == version


async def test_dry_run_of_an_unassignment_shows_losses(gql, people):
    ben = people["ben"]
    await assign(gql, ben, "field_sales")

    body = await change(
        gql,
        "roleUnassign",
        {"subject": ben, "role": "field_sales", "department": "sales", "dryRun": True},
    )

    losses = {(i["object"], i["action"], i["scopeBefore"]) for i in body["impact"]}
    assert ("sfa.deal", "write", "own") in losses
    assert {i["change"] for i in body["impact"]} == {"loses"}


async def test_versions_diff_and_restore(gql, unicrm_state, people):
    ann = people["ann"]
    first = (await assign(gql, ann, "analyst"))["version"]
    second = (
        await change(
            gql,
            "grantAdd",
            {"role": "analyst", "department": "sales", "object": "pii:profile", "action": "read"},
        )
    )["version"]

    diff = await gql(
        "query($a: Int!, $b: Int!) { policyVersionDiff(old: $a, new: $b) { addedRules { subject object action } removedRules { object } } }",
        {"a": first, "b": second},
    )
    assert diff["data"]["policyVersionDiff"] == {
        "addedRules": [{"subject": "analyst", "object": "pii:profile", "action": "read"}],
        "removedRules": [],
    }
    assert unicrm_state.authz.allowed(ann, "sales", "pii:profile", "read")

    restored = await change(gql, "policyRestore", {"number": first})

    assert restored["version"] == second + 1
    assert not unicrm_state.authz.allowed(ann, "sales", "pii:profile", "read")
    versions = await gql("{ policyVersions(limit: 2) { number comment createdBy } }")
    assert versions["data"]["policyVersions"][0] == {
        "number": second + 1,
        "comment": f"restored version {first}",
        "createdBy": await admin_subject(unicrm_state),
    }


async def test_csv_export_imports_back_to_the_same_policies(gql, unicrm_state, people):
    await change(gql, "roleCreate", {"name": "auditor", "description": "Reads, checks"})
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    await change(
        gql,
        "grantAdd",
        {
            "role": "auditor",
            "department": "shop",
            "object": "core.*",
            "action": "read",
            "validUntil": until,
        },
    )
    await assign(gql, people["cat"], "auditor", "shop")
    exported = await export(gql)
    await change(gql, "roleDelete", {"name": "auditor"})
    assert "auditor" not in await export(gql)

    imported = await change(gql, "policyImport", {"csv": exported})

    assert imported["errors"] == []
    assert await export(gql) == exported
    assert unicrm_state.authz.allowed(people["cat"], "shop", "core.order", "read")


@pytest.mark.parametrize(
    ("csv", "code"),
    [
        ("not,a,header\n", "INVALID_CSV"),
        (None, "UNKNOWN_PERMISSION"),
        (None, "UNKNOWN_ROLE"),
    ],
    ids=["header", "permission", "role"],
)
async def test_a_bad_import_names_the_line_and_writes_nothing(gql, csv, code):
    before = await export(gql)
    if csv is None:
        line = (
            "p,marketer,*,ghost.thing,read,allow,all,,,\n"
            if code == "UNKNOWN_PERMISSION"
            else "p,nobody,*,core.customer,read,allow,all,,,\n"
        )
        csv = before + line
    body = await change(gql, "policyImport", {"csv": csv})

    assert code in [e["code"] for e in body["errors"]]
    assert await export(gql) == before


async def test_access_review_says_who_reads_a_phone_and_through_which_role(gql, people):
    await assign(gql, people["ann"], "manager")
    await assign(gql, people["ben"], "store_staff")
    await assign(gql, people["cat"], "analyst")
    await assign(gql, people["dan"], "admin", "*")

    body = await gql(
        '{ accessReview(department: "sales", object: "Customer.phone") '
        "{ user decision via rule { subject object action } } }"
    )
    rows = {r["user"]: r for r in body["data"]["accessReview"]}

    # the test client's own organization-wide admin reads it too
    assert set(rows) == {"ann@example.com", "ben@example.com", "dan@example.com", ADMIN}
    assert rows["ann@example.com"]["decision"] == "allow"
    assert rows["ann@example.com"]["via"] == [people["ann"], "manager"]
    assert rows["ben@example.com"]["decision"] == "mask"
    assert rows["ben@example.com"]["rule"] == {
        "subject": "store_staff",
        "object": "pii:contact",
        "action": "read_masked",
    }
    assert rows["dan@example.com"]["rule"]["subject"] == "admin"

    report = await gql('{ accessReviewCsv(department: "sales", object: "Customer.phone") }')
    lines = report["data"]["accessReviewCsv"].splitlines()
    assert lines[0].startswith("subject,user,department,object,action,decision,via")
    assert len(lines) == 1 + len(rows)  # a header, then one line per reader


async def test_access_review_of_an_unknown_object_is_a_bad_request(gql):
    body = await gql('{ accessReview(department: "sales", object: "Customer.nothing") { user } }')

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_explain_names_the_deciding_rule(gql, people):
    await assign(gql, people["ann"], "field_sales")
    query = 'query($s: String!, $o: String!, $a: String!) { accessExplain(subject: $s, department: "sales", object: $o, action: $a) { allowed effect chain reason rule { subject object action scope } } }'

    allowed = (await gql(query, {"s": people["ann"], "o": "sfa.deal", "a": "write"}))["data"][
        "accessExplain"
    ]
    denied = (await gql(query, {"s": people["ann"], "o": "sfa.deal", "a": "delete"}))["data"][
        "accessExplain"
    ]

    assert allowed["allowed"] and allowed["chain"] == [people["ann"], "field_sales"]
    assert allowed["rule"] == {
        "subject": "field_sales",
        "object": "sfa.deal",
        "action": "write",
        "scope": "own",
    }
    assert denied == {
        "allowed": False,
        "effect": None,
        "chain": [],
        "reason": "no rule matched (deny by default)",
        "rule": None,
    }


async def test_role_assignments_list_users_by_department(gql, people):
    await assign(gql, people["ann"], "marketer")
    await assign(gql, people["ann"], "technician", "shop")

    body = await gql('{ roleAssignments(department: "shop") { user role department } }')

    assert body["data"]["roleAssignments"] == [
        {"user": "ann@example.com", "role": "technician", "department": "shop"}
    ]


async def test_a_time_limited_assignment_ends_by_itself(gql, unicrm_state, people):
    soon = datetime.now(UTC) + timedelta(seconds=2)
    body = await change(
        gql,
        "roleAssign",
        {
            "subject": people["ann"],
            "role": "marketer",
            "department": "sales",
            "validUntil": soon.isoformat(),
        },
    )
    assert body["errors"] == []
    assert unicrm_state.authz.allowed(people["ann"], "sales", "core.tag", "write")

    import asyncio

    await asyncio.sleep((soon - datetime.now(UTC)).total_seconds() + 0.05)

    assert not unicrm_state.authz.allowed(people["ann"], "sales", "core.tag", "write")


async def test_rules_of_an_uninstalled_plugin_stay_stored_but_inactive(unicrm_state, caplog):
    from unicrm.core.authz.store import load_policies

    async with unicrm_state.db.transaction() as session:
        session.add(
            AuthzRule(ptype="p", v0="marketer", v1="*", v2="gone.thing", v3="read", v4="allow")
        )

    with caplog.at_level("WARNING", logger="unicrm.authz"):
        await load_policies(unicrm_state)
        await load_policies(unicrm_state)

    assert not any(r.values[2] == "gone.thing" for r in unicrm_state.authz.rules)
    warnings = [r for r in caplog.records if "gone.thing" in r.getMessage()]
    assert len(warnings) <= 1  # one per process (a test earlier in the session may have logged it)
