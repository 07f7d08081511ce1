"""Policy services: default roles, department admins kept inside their department."""

from __future__ import annotations

import pytest

from unicrm.core.authz.access import Access, Decision
from unicrm.core.authz.admin import Editor, GrantSpec, PolicyAdmin, assign, create_role, grant
from unicrm.core.authz.defaults import sync_default_roles
from unicrm.core.authz.transfer import export_csv
from unicrm.core.authz.versions import list_versions, restore
from unicrm.core.errors import Forbidden, PluginError
from unicrm.core.plugins.contracts import RoleGrant
from unicrm.core.plugins.manager import build_manager
from unicrm.core.plugins.registry import build_registry


async def system_assign(state, subject: str, role: str, department: str) -> None:
    await PolicyAdmin(state, Editor("system")).apply(
        assign(
            PolicyAdmin(state, Editor("system")), subject=subject, role=role, department=department
        )
    )


async def test_default_roles_sync_is_idempotent(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        changed = await sync_default_roles(session, unicrm_state.registry)
        versions = await list_versions(session)

    assert changed is False
    assert [v.comment for v in versions] == ["default roles synchronised"]


async def test_default_roles_decide_personal_data_as_their_names_imply(unicrm_state, people):
    state = unicrm_state
    roles = {"ann": "manager", "ben": "store_staff", "cat": "analyst", "dan": "field_sales"}
    for name, role in roles.items():
        await system_assign(state, people[name], role, "sales")
    schema = state.schema_for(frozenset(state.registry.installed))
    email = schema.requirements.by_coordinate["Customer.email"]

    def decide(name: str) -> Decision:
        return Access(state.authz, people[name], "sales").decide(email)

    assert decide("ann") is Decision.ALLOW
    assert decide("ben") is Decision.MASK
    assert decide("cat") is Decision.DENY
    assert state.authz.allowed(people["cat"], "sales", "sfa.deal", "read")
    assert not state.authz.allowed(people["cat"], "sales", "sfa.deal", "write")
    assert state.authz.scope(people["dan"], "sales", "sfa.deal", "write") == "own"
    assert state.authz.scope(people["ann"], "sales", "sfa.deal", "write") == "all"


async def test_a_department_admin_acts_only_inside_its_department(unicrm_state, people):
    state = unicrm_state
    boss = people["ann"]
    await system_assign(state, boss, "department_admin", "sales")
    admin = PolicyAdmin(state, Editor(boss, state.authz))

    await admin.apply(assign(admin, subject=people["ben"], role="marketer", department="sales"))
    await admin.apply(create_role(admin, name="sales_helper", department="sales"))
    before = await _export(state)

    with pytest.raises(Forbidden):
        await admin.apply(assign(admin, subject=people["ben"], role="marketer", department="shop"))
    with pytest.raises(Forbidden):
        await admin.apply(assign(admin, subject=people["ben"], role="marketer", department="*"))
    with pytest.raises(Forbidden):
        await admin.apply(create_role(admin, name="shop_helper", department="shop"))
    with pytest.raises(Forbidden):  # no one grants what they do not hold
        await admin.apply(
            grant(admin, GrantSpec("sales_helper", "sales", "core.department", "write"))
        )
    with pytest.raises(Forbidden):  # nor hands out a role holding more than they do
        await admin.apply(assign(admin, subject=people["ben"], role="admin", department="sales"))
    with pytest.raises(Forbidden):
        await admin.apply(restore(admin, 1))

    assert await _export(state) == before
    assert state.authz.roles_for(people["ben"], "sales") == {"marketer"}


async def _export(state) -> str:
    async with state.db.session() as session:
        return await export_csv(session)


def _registry_with(*grants: RoleGrant):
    from unicrm.core.plugins import hookimpl

    class Extra:
        @staticmethod
        @hookimpl
        def plugin_manifest():
            from unicrm.core.plugins.contracts import PluginManifest

            return PluginManifest(name="extra", version="1", title="Extra")

        @staticmethod
        @hookimpl
        def register_default_roles():
            return list(grants)

    return build_registry(build_manager({"extra": Extra}))


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (RoleGrant("helper", ("core.nothing:read",)), "unknown permission"),
        (RoleGrant("helper", ("core.customer:fly",)), "has no action"),
        (RoleGrant("helper", ("core.customer:read@galaxy",)), "bad scope"),
        (RoleGrant("helper", ("pii:medical:read",)), "unknown PII class"),
        (RoleGrant("helper", denies=("core.nothing:read",)), "unknown permission"),
        (RoleGrant("helper", inherits=("ghost",)), "undeclared role"),
        (RoleGrant("helper", inherits=("helper",)), "cycle"),
    ],
    ids=["permission", "action", "scope", "pii", "deny", "inherits", "cycle"],
)
def test_a_bad_default_role_stops_startup_naming_it(grant, message):
    with pytest.raises(PluginError, match=message):
        _registry_with(grant)
