"""The test plugin's contributions work where it is enabled and vanish from departments
that do not enable it; its permission, migration branch and event handler belong to the
installation and stay (DESIGN.md section 4)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from plugins.example_plugin import Greeting
from plugins.support import add_department

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { code } }
}
"""
GREETINGS = "{ exampleGreetings { message } }"
CUSTOMER_GREETING = "query($id: ID!) { customer(id: $id) { exampleGreeting { message } } }"
TYPE = "query($name: String!) { __type(name: $name) { name } }"


async def create_customer(gql, first_name: str, department: str | None = None) -> str:
    body = await gql(
        CREATE, {"input": {"kind": "PERSON", "firstName": first_name}}, department=department
    )
    return body["data"]["customerCreate"]["customer"]["id"]


async def greeting_count(state) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(Greeting))


def validation_error(body: dict) -> str:
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    return error["message"]


async def test_event_handler_greets_a_new_customer_and_both_fields_show_it(gql, unicrm_state):
    customer_id = await create_customer(gql, "Somchai")

    assert await gql(GREETINGS) == {
        "data": {"exampleGreetings": [{"message": "Welcome, Somchai!"}]}
    }
    body = await gql(CUSTOMER_GREETING, {"id": customer_id})
    assert body == {"data": {"customer": {"exampleGreeting": {"message": "Welcome, Somchai!"}}}}


async def test_plugin_type_is_in_the_schema_where_enabled(gql):
    body = await gql(TYPE, {"name": "ExampleGreeting"})
    assert body == {"data": {"__type": {"name": "ExampleGreeting"}}}


async def test_root_field_is_a_validation_error_where_the_plugin_is_not_enabled(gql, unicrm_state):
    await add_department(unicrm_state, "sales", ["sfa"])

    message = validation_error(await gql(GREETINGS, department="sales"))
    assert "exampleGreetings" in message


async def test_customer_field_is_a_validation_error_where_the_plugin_is_not_enabled(
    gql, unicrm_state
):
    await add_department(unicrm_state, "sales", ["sfa"])
    customer_id = await create_customer(gql, "Malee")

    message = validation_error(
        await gql(CUSTOMER_GREETING, {"id": customer_id}, department="sales")
    )
    assert "exampleGreeting" in message


async def test_plugin_type_is_absent_where_the_plugin_is_not_enabled(gql, unicrm_state):
    await add_department(unicrm_state, "sales", ["sfa"])

    body = await gql(TYPE, {"name": "ExampleGreeting"}, department="sales")
    assert body == {"data": {"__type": None}}


async def test_permission_and_migration_branch_stay_declared_whatever_departments_enable(
    unicrm_state,
):
    await add_department(unicrm_state, "sales", ["sfa"])
    registry = unicrm_state.registry

    assert registry.permissions["example.greeting"].actions == ("read",)
    assert registry.permission_owner["example.greeting"] == "example"
    branch = registry.migrations["example"]
    assert branch.branch == "example"
    assert (Path(branch.versions_dir) / "__init__.py").is_file()


async def test_event_handler_runs_for_a_customer_created_in_a_department_without_the_plugin(
    gql, unicrm_state
):
    await add_department(unicrm_state, "sales", ["sfa"])

    await create_customer(gql, "Anan", department="sales")

    assert await greeting_count(unicrm_state) == 1


async def test_handler_greets_once_even_when_the_event_is_dispatched_again(gql, unicrm_state):
    await create_customer(gql, "Dao")

    await unicrm_state.events.dispatch_pending()

    assert await greeting_count(unicrm_state) == 1
