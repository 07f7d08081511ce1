"""Every mutation field leaves one audit entry: who, where, which objects, and how it ended."""

from __future__ import annotations

import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import select, text

from audit.conftest import audit_entries, post
from unicrm.core.authz.access import Access
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.schema.context import make_context

CREATE = """
mutation AddPerson($input: CustomerCreateInput!) {
  customerCreate(input: $input) { errors { code } }
}
"""
EMAIL_ADD = """
mutation AddEmail($input: CustomerEmailAddInput!) {
  customerEmailAdd(input: $input) { email { id } errors { field code } }
}
"""
SIGNUP = """
mutation SignUp($input: ProbeSignupInput!) {
  probeSignup(input: $input) { customer { id } errors { field code message } }
}
"""


async def create_person(gql, name: str = "Somchai") -> str:
    body = await gql(
        "mutation($n: String!) { customerCreate(input: {kind: PERSON, firstName: $n}) "
        "{ customer { id } } }",
        {"n": name},
    )
    return body["data"]["customerCreate"]["customer"]["id"]


async def test_a_mutation_is_recorded_with_its_actor_place_operation_and_created_object(
    gql, unicrm_state
):
    body = await gql(CREATE, {"input": {"kind": "PERSON", "firstName": "Somchai"}})
    assert body["data"]["customerCreate"]["errors"] == []

    (entry,) = await audit_entries(unicrm_state)
    async with unicrm_state.db.session() as session:
        customer_id = await session.scalar(select(Customer.id))
    assert entry.action == "mutation"
    assert entry.operation == "AddPerson"
    assert entry.field == "customerCreate"
    # The client did not ask for the new customer's id; the log still names it.
    assert entry.targets == [to_global_id("Customer", customer_id)]
    assert entry.outcome == "ok"
    assert entry.details is None
    # the test client's admin (see the ``client`` fixture)
    assert (entry.actor_kind, entry.actor_name) == ("user", "admin")
    assert entry.actor_id.startswith("VXNlcj")  # a User global id
    assert entry.department == "default"
    assert entry.client_address == "127.0.0.1"


async def test_a_refused_mutation_is_recorded_with_its_error_codes_and_argument_targets(
    gql, unicrm_state
):
    missing = to_global_id("Customer", uuid.UUID(int=7))
    body = await gql(EMAIL_ADD, {"input": {"customerId": missing, "address": "a@example.com"}})
    assert body["data"]["customerEmailAdd"]["errors"] == [
        {"field": "customerId", "code": "NOT_FOUND"}
    ]

    (entry,) = await audit_entries(unicrm_state)
    assert entry.field == "customerEmailAdd"
    assert entry.targets == [missing]
    assert entry.outcome == "NOT_FOUND"
    assert entry.details == {"errors": [{"field": "customerId", "code": "NOT_FOUND"}]}


async def test_a_successful_mutation_names_the_argument_ids_and_the_returned_objects(
    gql, unicrm_state
):
    customer = await create_person(gql)
    body = await gql(EMAIL_ADD, {"input": {"customerId": customer, "address": "a@example.com"}})
    email = body["data"]["customerEmailAdd"]["email"]["id"]

    entry = (await audit_entries(unicrm_state))[-1]
    assert entry.field == "customerEmailAdd"
    assert entry.outcome == "ok"
    assert entry.targets[0] == customer
    assert email in entry.targets


async def test_each_mutation_field_of_one_operation_gets_its_own_entry(gql, unicrm_state):
    body = await gql(
        """mutation Two {
          first: customerCreate(input: {kind: PERSON, firstName: "Anan"}) { errors { code } }
          second: customerCreate(input: {kind: PERSON}) { errors { code } }
        }"""
    )
    assert body["data"]["second"]["errors"] == [{"code": "REQUIRED"}]

    entries = await audit_entries(unicrm_state)
    assert [(e.operation, e.field, e.outcome) for e in entries] == [
        ("Two", "customerCreate", "ok"),
        ("Two", "customerCreate", "REQUIRED"),
    ]
    assert len(entries[0].targets) == 1
    assert entries[1].targets == []


async def test_queries_are_not_recorded(gql, unicrm_state):
    await gql("{ customers(first: 5) { totalCount } }")
    assert await audit_entries(unicrm_state) == []


async def test_a_mutation_failing_with_a_graphql_error_is_recorded_with_its_code(
    probe, unicrm_state
):
    body = await post(
        probe,
        SIGNUP,
        {
            "input": {
                "customerId": to_global_id("Customer", uuid.UUID(int=1)),
                "email": "somchai@blocked.test",
                "phone": "+66812345678",
                "password": "correct horse battery",
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    (entry,) = await audit_entries(unicrm_state)
    assert (entry.field, entry.outcome, entry.department) == ("probeSignup", "FORBIDDEN", "probe")
    assert entry.targets == [to_global_id("Customer", uuid.UUID(int=1))]


async def test_the_trace_id_is_the_current_span_s(gql, unicrm_state):
    tracer = TracerProvider().get_tracer("unicrm.tests")
    with tracer.start_as_current_span("request") as span:
        await gql(CREATE, {"input": {"kind": "PERSON", "firstName": "Traced"}})
    await gql(CREATE, {"input": {"kind": "PERSON", "firstName": "Untraced"}})

    traced, untraced = await audit_entries(unicrm_state)
    assert traced.trace_id == trace.format_trace_id(span.get_span_context().trace_id)
    assert untraced.trace_id is None


SECRETS = {
    "first_name": "Wiphawee",
    "last_name": "Srisuk",
    "tax_id": "3100700123456",
    "email": "wiphawee.private@example.com",
    "phone": "+66812345678",
    "password": "s3cret-Passw0rd",
    "short_password": "hunter2",
}


async def test_no_personal_data_or_secret_reaches_the_log(gql, probe, unicrm_state):
    created = await gql(
        "mutation($input: CustomerCreateInput!) { customerCreate(input: $input) "
        "{ customer { id } } }",
        {
            "input": {
                "kind": "PERSON",
                "firstName": SECRETS["first_name"],
                "lastName": SECRETS["last_name"],
                "taxId": SECRETS["tax_id"],
            }
        },
    )
    customer = created["data"]["customerCreate"]["customer"]["id"]
    await gql(EMAIL_ADD, {"input": {"customerId": customer, "address": SECRETS["email"]}})
    signup = {
        "customerId": customer,
        "email": SECRETS["email"],
        "phone": SECRETS["phone"],
        "password": SECRETS["password"],
    }
    ok = await post(probe, SIGNUP, {"input": signup})
    assert ok["data"]["probeSignup"]["customer"] == {"id": customer}
    # The payload error's message repeats the password: it must not be kept either.
    weak = await post(probe, SIGNUP, {"input": {**signup, "password": SECRETS["short_password"]}})
    assert SECRETS["short_password"] in weak["data"]["probeSignup"]["errors"][0]["message"]

    entries = await audit_entries(unicrm_state)
    assert [(e.field, e.outcome) for e in entries] == [
        ("customerCreate", "ok"),
        ("customerEmailAdd", "ok"),
        ("probeSignup", "ok"),
        ("probeSignup", "WEAK_PASSWORD"),
    ]
    assert all(customer in e.targets for e in entries)
    async with unicrm_state.db.session() as session:
        stored = repr((await session.execute(text("SELECT * FROM audit_entry"))).all()).lower()
    for name, value in SECRETS.items():
        assert value.lower() not in stored, name
    assert "66812345678" not in stored


class ReadOnly:
    """A policy that lets its subject read everything and write nothing."""

    version = 1

    def allowed(self, subject: str, department: str, obj: str, action: str) -> bool:
        return action == "read"

    def denied(self, subject: str, department: str, obj: str, action: str) -> bool:
        return False

    def roles_for(self, subject: str, department: str) -> frozenset[str]:
        return frozenset({"viewer"})

    def scope(self, subject: str, department: str, permission: str, action: str) -> None:
        return None


async def test_a_mutation_refused_by_authorization_is_recorded_with_its_targets(unicrm_state):
    state = unicrm_state
    department = await state.departments.get(None)
    actor = Actor(user_id=uuid.UUID(int=0xBE), name="Ben", kind="user")
    context = make_context(state, department, actor=actor)
    context.access = Access(ReadOnly(), "ben", department.slug)  # what sign-in will attach
    target = to_global_id("Customer", uuid.UUID(int=5))

    result = await state.schema_for(department.plugins).execute(
        EMAIL_ADD,
        variable_values={"input": {"customerId": target, "address": "ben@example.com"}},
        context_value=context,
    )
    assert [e.original_error.code for e in result.errors] == ["FORBIDDEN"]

    (entry,) = await audit_entries(state)
    assert (entry.field, entry.outcome, entry.targets) == (
        "customerEmailAdd",
        "FORBIDDEN",
        [target],
    )
    assert (entry.actor_kind, entry.actor_id, entry.actor_name) == (
        "user",
        to_global_id("User", actor.user_id),
        "Ben",
    )
    assert entry.client_address is None
