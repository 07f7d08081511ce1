"""The authorization matrix, generated from the composed schema: for every default role, every
root query field, every mutation and every field of Customer (core's and the plugins'), the
answer over HTTP matches what the role's declared grants imply.

The expectation is computed here, independently of the enforcer, from the default roles'
rules (``declared_rules``) and each coordinate's requirement: every permission it needs must
be granted (``keyMatch`` patterns, ``*`` actions, inherited roles) and none denied; a personal
data field also needs ``read`` or ``read_masked`` on the coordinate or its PII class. Each
request then shows FORBIDDEN at exactly the denied paths. Arguments are placeholders of the
right type (a mutation the role may call then fails on its input, or succeeds harmlessly).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInputType,
    GraphQLObjectType,
    Undefined,
    get_named_type,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from sqlalchemy import update

from unicrm.core.authz.access import READ, READ_MASKED, Requirement
from unicrm.core.authz.defaults import declared_rules
from unicrm.core.authz.enforcer import Rule
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

ROLES = (
    "admin",
    "analyst",
    "department_admin",
    "event_source",
    "field_sales",
    "inside_sales",
    "loyalty_officer",
    "manager",
    "marketer",
    "sales_rep",
    "store_staff",
    "support_agent",
    "technician",
    "greeter",  # the example plugin's, installed in the test kit
)
PLACEHOLDER_ID = to_global_id("Customer", uuid.UUID(int=1))
SCALARS = {
    "ID": f'"{PLACEHOLDER_ID}"',
    "String": '"x"',
    "Int": "99999",  # no such version, page or count: nothing real is touched
    "Float": "1.0",
    "Boolean": "false",
    "DateTime": '"2030-01-01T00:00:00+00:00"',
    "Date": '"2030-01-01"',
    "Decimal": '"1"',
    "BigInt": "1",
    "JSON": "{}",
}
BY_ID = frozenset({"Query.node"})
"""Also check the permission of the type the id names (the placeholder: a Customer); the
placeholder of ``nodes(ids:)`` is an empty list."""
SKIPPED_MUTATIONS = frozenset({"logout", "sessionsRevoke"})
"""They end the caller's own session, which the next requests of the role still need."""


class Grants:
    """What one role may do, from the declared default rules alone."""

    def __init__(self, role: str, rules: list[Rule]) -> None:
        holders = {role}
        pending = [role]
        while pending:
            current = pending.pop()
            for rule in rules:
                if (
                    rule.ptype == "g"
                    and rule.values[0] == current
                    and rule.values[1] not in holders
                ):
                    holders.add(rule.values[1])
                    pending.append(rule.values[1])
        mine = [r for r in rules if r.ptype == "p" and r.values[0] in holders]
        self.allows = [r.values[2:4] for r in mine if r.values[4] == "allow"]
        self.denies = [r.values[2:4] for r in mine if r.values[4] == "deny"]

    @staticmethod
    def _matches(pairs: list[Any], obj: str, action: str) -> bool:
        return any(fnmatchcase(obj, o) and a in (action, "*") for o, a in pairs)

    def allowed(self, obj: str, action: str) -> bool:
        return self._matches(self.allows, obj, action) and not self._matches(
            self.denies, obj, action
        )

    def may(self, requirement: Requirement) -> bool:
        if requirement.public:
            return True
        if self._matches(self.denies, requirement.coordinate, requirement.action):
            return False
        if not all(self.allowed(obj, action) for obj, action in requirement.needs):
            return False
        if requirement.pii is None:
            return True
        objects = (requirement.coordinate, f"pii:{requirement.pii}")
        return any(self.allowed(o, a) for o in objects for a in (READ, READ_MASKED))


def literal(input_type: GraphQLInputType) -> str:
    """A placeholder GraphQL literal of ``input_type``: required input fields only."""
    if is_non_null_type(input_type):
        return literal(input_type.of_type)
    if is_list_type(input_type):
        return "[]"
    if is_enum_type(input_type):
        return next(iter(input_type.values))
    if is_input_object_type(input_type):
        fields = [
            f"{name}: {literal(field.type)}"
            for name, field in input_type.fields.items()
            if is_non_null_type(field.type) and field.default_value is Undefined
        ]
        return "{" + ", ".join(fields) + "}"
    return SCALARS[input_type.name]


def call(alias: str, name: str, field: GraphQLField) -> str:
    arguments = [
        f"{arg_name}: {literal(arg.type)}"
        for arg_name, arg in field.args.items()
        if is_non_null_type(arg.type) and arg.default_value is Undefined
    ]
    text = f"{alias}: {name}" + (f"({', '.join(arguments)})" if arguments else "")
    return text if is_leaf_type(get_named_type(field.type)) else text + " { __typename }"


def fields_of(root: GraphQLObjectType, skip: frozenset[str] = frozenset()) -> Iterator[tuple]:
    for name, field in sorted(root.fields.items()):
        if name not in skip:
            yield f"{root.name}.{name}", name, field


def refused(body: dict[str, Any]) -> set[str]:
    """The response keys (top level, or under ``customer``) answered FORBIDDEN."""
    found = set()
    for error in body.get("errors") or ():
        if error.get("extensions", {}).get("code") == "FORBIDDEN" and error.get("path"):
            found.add(error["path"][-1])
    return found


def internal(body: dict[str, Any]) -> list[str]:
    return [
        error["message"]
        for error in body.get("errors") or ()
        if error.get("extensions", {}).get("code") == "INTERNAL"
    ]


ALIASES_PER_REQUEST = 25
"""Below the default alias limit (30) of a request."""


def chunks(fields: list[tuple]) -> Iterator[list[tuple[str, str, str, GraphQLField]]]:
    """The fields grouped into requests, each with its alias (``f<n>``): a non-null field
    alone (a refused one nulls its parent and hides its siblings' answers), nullable ones
    25 at a time."""
    named = [(f"f{i}", *entry) for i, entry in enumerate(fields)]
    for entry in named:
        if is_non_null_type(entry[3].type):
            yield [entry]
    nullable = [entry for entry in named if not is_non_null_type(entry[3].type)]
    for start in range(0, len(nullable), ALIASES_PER_REQUEST):
        yield nullable[start : start + ALIASES_PER_REQUEST]


def selection(chunk: list[tuple[str, str, str, GraphQLField]]) -> str:
    return " ".join(call(alias, name, field) for alias, _, name, field in chunk)


def compare(
    grants: Grants,
    requirements: dict[str, Requirement],
    chunk: list[tuple[str, str, str, GraphQLField]],
    denied: set[str],
) -> list[str]:
    """The coordinates whose answer differs from what the grants imply."""
    customer = requirements["Query.customer"].needs  # read on the Customer type's guard
    return [
        f"{coordinate}: expected {'allow' if expected else 'deny'}"
        for alias, coordinate, _, _ in chunk
        if (
            expected := grants.may(requirements[coordinate])
            and (coordinate not in BY_ID or all(grants.allowed(o, a) for o, a in customer))
        )
        == (alias in denied)
    ]


async def post(http, query: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "data" in body, body  # the placeholders make a valid document
    return body


def test_the_matrix_covers_every_default_role(unicrm_session_state):
    assert sorted(unicrm_session_state.registry.roles) == sorted(ROLES)


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_exactly_what_its_grants_imply(gql, unicrm_state, role):
    state = unicrm_state
    schema = state.schema_for(frozenset(state.registry.installed))
    graphql_schema = schema._schema
    requirements = schema.requirements.by_coordinate
    grants = Grants(role, declared_rules(state.registry)[1])
    created = await gql(
        'mutation { customerCreate(input: {kind: PERSON, firstName: "Matrix"}) '
        "{ customer { id } } }"
    )
    customer = created["data"]["customerCreate"]["customer"]["id"]
    token = await sign_in_as(state, f"{role}@matrix.test", role)
    mismatches: list[str] = []
    crashes: list[str] = []

    async with client_for(state, token) as http:
        viewer = await post(http, "{ viewer { id } }")
        user_id = from_global_id(viewer["data"]["viewer"]["id"])[1]
        async with state.db.transaction() as session:  # the role's own customer: row scopes
            await session.execute(
                update(Customer)
                .where(Customer.id == from_global_id(customer)[1])
                .values(owner_id=user_id)
            )

        queries = list(fields_of(graphql_schema.query_type))
        for chunk in chunks(queries):
            body = await post(http, "{ " + selection(chunk) + " }")
            crashes += internal(body)
            mismatches += compare(grants, requirements, chunk, refused(body))

        if grants.may(requirements["Query.customer"]):
            for chunk in chunks(list(fields_of(graphql_schema.get_type("Customer")))):
                body = await post(
                    http, f'{{ customer(id: "{customer}") {{ id {selection(chunk)} }} }}'
                )
                crashes += internal(body)
                hidden = body["data"] is None or body["data"]["customer"] is None
                if hidden and not refused(body):
                    mismatches.append(f"Query.customer: the role's own customer is hidden: {body}")
                    break
                mismatches += compare(grants, requirements, chunk, refused(body))

        for coordinate, name, field in fields_of(graphql_schema.mutation_type, SKIPPED_MUTATIONS):
            body = await post(http, "mutation { " + call("m", name, field) + " }")
            crashes += [f"{coordinate}: {message}" for message in internal(body)]
            mismatches += compare(
                grants, requirements, [("m", coordinate, name, field)], refused(body)
            )

    assert mismatches == [], f"{role}: " + "; ".join(mismatches)
    assert crashes == []
