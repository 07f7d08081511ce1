"""Deny by default: every root field and data type declares its access, checked at startup,
and every coordinate of the composed schema gets the requirement the declarations imply."""

from __future__ import annotations

import types

import pytest
import strawberry
from graphql import parse

from unicrm.core.authz.declare import PUBLIC, requires
from unicrm.core.errors import PluginError
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest

from .support import full_schema, state_with


def _plugin(name: str, query: type) -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def plugin_manifest() -> PluginManifest:
        return PluginManifest(name=name, version="1", title=name)

    @hookimpl
    def graphql_query() -> type:
        return query

    module.plugin_manifest = plugin_manifest
    module.graphql_query = graphql_query
    return module


@strawberry.type
class Report:
    total: int


@strawberry.type
class UndeclaredQuery:
    @strawberry.field
    def report(self) -> int:
        return 1


@strawberry.type
class UnguardedQuery:
    @strawberry.field(metadata=requires("core.customer:read"))
    def report(self) -> Report:
        return Report(total=1)


def test_a_root_field_without_a_declared_permission_stops_startup(tmp_path):
    state = state_with(tmp_path, _plugin("reports", UndeclaredQuery))
    with pytest.raises(PluginError, match=r"root field Query.report declares no permission"):
        state.schema_for(frozenset({"reports"}))


def test_a_data_type_without_a_guard_stops_startup(tmp_path):
    state = state_with(tmp_path, _plugin("reports", UnguardedQuery))
    with pytest.raises(PluginError, match=r"type Report has no @guard"):
        state.schema_for(frozenset({"reports"}))


def test_every_coordinate_of_the_full_schema_needs_something_or_is_declared_public(
    offline_state,
):
    schema = full_schema(offline_state)
    requirements = schema.requirements.by_coordinate
    assert requirements, "the composed schema has coordinates"
    public_types = {n for n, g in schema.requirements.type_guards.items() if g == PUBLIC}
    assert {"Viewer", "Money"} <= public_types
    for coordinate, requirement in requirements.items():
        type_name = coordinate.split(".")[0]
        if requirement.public or type_name in public_types or type_name == "PageInfo":
            continue
        if type_name.endswith(("Payload", "Error")) and not requirement.needs:
            continue
        assert requirement.needs, f"{coordinate} is open to anyone"


def test_requirements_combine_the_parent_and_the_returned_type(offline_state):
    schema = full_schema(offline_state)
    by = schema.requirements.by_coordinate
    assert by["Customer.deals"].needs == (("core.customer", "read"), ("sfa.deal", "read"))
    assert by["Query.customers"].needs == (("core.customer", "read"),)
    assert by["Mutation.customerCreate"].needs == (("core.customer", "write"),)
    assert by["Mutation.customerCreate"].action == "write"
    assert by["CustomerEdge.node"].needs == (("core.customer", "read"),)
    assert by["Customer.email"].pii == "contact"
    assert by["Customer.email"].mask == "email"
    assert by["CustomerPhone.number"].mask == "phone"
    assert by["Query.node"].public


def _coordinates(schema, query: str) -> set[str]:
    found = schema.requirements.for_operation(parse(query), query, None)
    return {r.coordinate for r in found}


def test_an_operation_touches_fields_through_aliases_fragments_and_abstract_types(
    offline_state,
):
    schema = full_schema(offline_state)
    query = """
    query {
      a: customers { edges { node { ...Who } } }
      node(id: "x") { id ... on Customer { secret: taxId } ... on Deal { title } }
    }
    fragment Who on Customer { phone emails { address } }
    """
    touched = _coordinates(schema, query)
    assert {
        "Query.customers",
        "CustomerConnection.edges",
        "CustomerEdge.node",
        "Customer.phone",
        "Customer.emails",
        "CustomerEmail.address",
        "Query.node",
        "Customer.taxId",
        "Deal.title",
    } <= touched
    # ``node { id }`` stands for the id of every node type the schema serves.
    assert {"Customer.id", "Deal.id", "Case.id"} <= touched


def test_the_coordinates_of_a_document_are_collected_once(offline_state):
    schema = full_schema(offline_state)
    query = "{ customers { totalCount } }"
    first = schema.requirements.for_operation(parse(query), query, None)
    again = schema.requirements.for_operation(parse(query), query, None)
    assert first is again
