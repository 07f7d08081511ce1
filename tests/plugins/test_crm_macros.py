"""Macros (canned responses): checked like message templates when saved; applying one renders
its reply for the case and sets its fields in one step. Bad input writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from plugins.crm_support import OPEN, STATUS, codes
from plugins.support import add_customers, customer_gid
from unicrm.plugins.crm.models import CaseMessage, Macro

CREATE = """mutation($input: MacroInput!) { macroCreate(input: $input) {
    errors { field code message } macro { id name setStatus setPriority setCategory } } }"""
UPDATE = """mutation($id: ID!, $input: MacroInput!) { macroUpdate(id: $id, input: $input) {
    errors { field code } macro { name body } } }"""
DELETE = """mutation($id: ID!) { macroDelete(id: $id) { errors { field code } } }"""
APPLY = """mutation($input: CaseMacroApplyInput!) { caseMacroApply(input: $input) {
    errors { field code message } message { kind body }
    case { status priority category } } }"""
LIST = "{ macros { name } }"
RESTART = {
    "name": "Restart router",
    "body": "Dear {{ customer.first_name }}, about {{ case_subject }}: please restart the "
    "router.\n{{ agent_name }}",
    "setStatus": "PENDING_CUSTOMER",
    "setPriority": "HIGH",
    "setCategory": "internet",
}


async def _count(state, model) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def _case(gql, state) -> str:
    [malee] = await add_customers(state, "Malee")
    variables = {"input": {"customerId": customer_gid(malee), "subject": "Wifi", "channel": "CHAT"}}
    return (await gql(OPEN, variables))["data"]["caseOpen"]["case"]["id"]


async def test_a_macro_replies_and_sets_the_case_fields(gql, unicrm_state):
    created = (await gql(CREATE, {"input": RESTART}))["data"]["macroCreate"]
    assert created["errors"] == []
    macro = created["macro"]
    assert (macro["setStatus"], macro["setPriority"], macro["setCategory"]) == (
        "PENDING_CUSTOMER",
        "HIGH",
        "internet",
    )
    case_id = await _case(gql, unicrm_state)

    done = (await gql(APPLY, {"input": {"caseId": case_id, "macroId": macro["id"]}}))["data"][
        "caseMacroApply"
    ]
    assert done["errors"] == []
    assert done["message"]["kind"] == "REPLY"
    assert done["message"]["body"].startswith("Dear Malee, about Wifi: please restart")
    assert done["case"] == {
        "status": "PENDING_CUSTOMER",
        "priority": "HIGH",
        "category": "internet",
    }

    renamed = {**RESTART, "name": "Restart the router", "body": "Please restart it."}
    updated = (await gql(UPDATE, {"id": macro["id"], "input": renamed}))["data"]["macroUpdate"]
    assert updated == {
        "errors": [],
        "macro": {"name": "Restart the router", "body": "Please restart it."},
    }
    assert (await gql(LIST))["data"]["macros"] == [{"name": "Restart the router"}]
    assert (await gql(DELETE, {"id": macro["id"]}))["data"]["macroDelete"]["errors"] == []
    assert await _count(unicrm_state, Macro) == 0


async def test_bad_macros_are_refused_and_nothing_is_written(gql, unicrm_state):
    state = unicrm_state
    await gql(CREATE, {"input": RESTART})
    bad = [
        ({"name": " ", "body": "Hi"}, [("name", "REQUIRED")]),
        ({"name": "Hi", "body": "Hi {{ order_total }}"}, [("body", "UNKNOWN_VARIABLE")]),
        ({"name": "Hi", "body": "Hi {{ customer.password }}"}, [("body", "UNKNOWN_VARIABLE")]),
        ({"name": "Hi", "body": "Hi {% if %}"}, [("body", "TEMPLATE_SYNTAX")]),
        ({"name": "Hi", "body": "Hi", "setStatus": "CLOSED"}, [("setStatus", "INVALID")]),
        ({"name": "Hi", "body": "Hi", "setCategory": "Not A Key!"}, [("setCategory", "INVALID")]),
        ({"name": RESTART["name"], "body": "Hi"}, [("name", "DUPLICATE")]),
    ]
    for data, expected in bad:
        assert codes((await gql(CREATE, {"input": data}))["data"]["macroCreate"]) == expected
    assert await _count(state, Macro) == 1

    [macro_id] = [m["id"] for m in (await gql("{ macros { id } }"))["data"]["macros"]]
    other = (await gql(CREATE, {"input": {"name": "Other", "body": "Hi"}}))["data"]["macroCreate"]
    taken = {"name": RESTART["name"], "body": "Hi"}
    renamed = await gql(UPDATE, {"id": other["macro"]["id"], "input": taken})
    assert codes(renamed["data"]["macroUpdate"]) == [("name", "DUPLICATE")]
    broken = await gql(UPDATE, {"id": macro_id, "input": {"name": "X", "body": "{{ nope }}"}})
    assert codes(broken["data"]["macroUpdate"]) == [("body", "UNKNOWN_VARIABLE")]
    assert (await gql(LIST))["data"]["macros"] == [{"name": "Other"}, {"name": RESTART["name"]}]
    await gql(DELETE, {"id": other["macro"]["id"]})
    gone = await gql(DELETE, {"id": other["macro"]["id"]})
    assert codes(gone["data"]["macroDelete"]) == [("id", "NOT_FOUND")]
    case_id = await _case(gql, state)
    for status in ("RESOLVED", "CLOSED"):
        await gql(STATUS, {"id": case_id, "status": status})
    closed = await gql(APPLY, {"input": {"caseId": case_id, "macroId": macro_id}})
    assert codes(closed["data"]["caseMacroApply"]) == [("caseId", "CASE_CLOSED")]
    missing = await gql(APPLY, {"input": {"caseId": case_id, "macroId": case_id}})
    assert codes(missing["data"]["caseMacroApply"]) == [("macroId", "INVALID_ID")]
    assert await _count(state, CaseMessage) == 0
