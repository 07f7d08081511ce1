"""Messaging over GraphQL: templates with preview, messageSend, the policy check, message and
suppression lists, Customer.messages; every mutation's bad input is a typed error."""

from __future__ import annotations

import uuid

import pytest
from messaging_support import add_customer, add_templates, count, message_counts

from unicrm.core.graph.ids import to_global_id
from unicrm.core.messaging.models import MessageTemplate
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

TEMPLATE_FIELDS = "template { id key channel locale subject textBody htmlBody variables version }"
ERRORS = "errors { field code message }"

CREATE = f"""mutation($input: MessageTemplateCreateInput!) {{
  messageTemplateCreate(input: $input) {{ {TEMPLATE_FIELDS} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: MessageTemplateUpdateInput!) {{
  messageTemplateUpdate(input: $input) {{ {TEMPLATE_FIELDS} {ERRORS} }} }}"""
DELETE = (
    f"""mutation($id: ID!) {{ messageTemplateDelete(id: $id) {{ {TEMPLATE_FIELDS} {ERRORS} }} }}"""
)
PREVIEW = """query($key: String!, $customer: ID!, $locale: String, $context: JSON) {
  messageTemplatePreview(templateKey: $key, customerId: $customer, locale: $locale,
                         context: $context) {
    errors { field code message } preview { subject text html locale template { version } } } }"""
SEND = """mutation($input: MessageSendInput!) {
  messageSend(input: $input) {
    blocked errors { field code message }
    message { id channel purpose status reasonCode reason address senderKey templateKey
              templateVersion customer { displayName } history { status source } } } }"""
CHECK = """query($customer: ID!, $channel: String!, $purpose: MessagePurpose!) {
  contactPolicyCheck(customerId: $customer, channel: $channel, purpose: $purpose) {
    allowed code reason deferred } }"""
SUPPRESS = f"""mutation($input: SuppressionAddInput!) {{
  suppressionAdd(input: $input) {{ suppression {{ id channel address purpose reason note }} {ERRORS} }} }}"""
UNSUPPRESS = f"""mutation($id: ID!) {{
  suppressionRemove(id: $id) {{ suppression {{ id }} {ERRORS} }} }}"""


def template_input(**overrides) -> dict:
    return {
        "key": "welcome",
        "channel": "email",
        "locale": "th",
        "subject": "สวัสดี {{ customer.first_name }}",
        "textBody": "Your code: {{ code }}",
        "htmlBody": "<p>{{ code }}</p>",
        "variables": ["code"],
        **overrides,
    }


def send_input(customer, **overrides) -> dict:
    return {
        "customerId": to_global_id("Customer", customer),
        "channel": "email",
        "purpose": "MARKETING",
        "templateKey": "welcome",
        "senderKey": "campaign:1",
        "context": {"code": "A1"},
        **overrides,
    }


def codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_template_create_update_delete(gql, unicrm_state, configure):
    created = (await gql(CREATE, {"input": template_input()}))["data"]["messageTemplateCreate"]
    template = created["template"]
    assert created["errors"] == []
    assert (template["version"], template["variables"]) == (1, ["code"])

    updated = (
        await gql(UPDATE, {"input": {"id": template["id"], "textBody": "Code {{ code }}!"}})
    )["data"]["messageTemplateUpdate"]
    assert updated["template"]["version"] == 2
    assert updated["template"]["textBody"] == "Code {{ code }}!"
    assert updated["template"]["subject"] == template["subject"]

    listed = await gql('{ messageTemplates(channel: "email") { key version } }')
    assert listed["data"]["messageTemplates"] == [{"key": "welcome", "version": 2}]
    deleted = (await gql(DELETE, {"id": template["id"]}))["data"]["messageTemplateDelete"]
    assert deleted["errors"] == []
    assert await count(unicrm_state, MessageTemplate) == 0


@pytest.mark.parametrize(
    ("overrides", "expected", "line"),
    [
        ({"textBody": "Hello\n{% if code %}open"}, ("textBody", "TEMPLATE_SYNTAX"), "line 2"),
        ({"textBody": "Hi\n\n{{ coupon }}"}, ("textBody", "UNKNOWN_VARIABLE"), "line 3"),
        ({"subject": "{{ customer.salary }}"}, ("subject", "UNKNOWN_VARIABLE"), "line 1"),
        ({"htmlBody": "<p>{{ code }</p>"}, ("htmlBody", "TEMPLATE_SYNTAX"), "line 1"),
        ({"subject": None}, ("subject", "REQUIRED"), None),
        ({"channel": "fax"}, ("channel", "UNKNOWN_CHANNEL"), None),
        ({"locale": "fr"}, ("locale", "INVALID"), None),
        ({"key": "Bad Key"}, ("key", "INVALID"), None),
        ({"variables": ["customer"]}, ("variables", "INVALID"), None),
    ],
)
async def test_template_bad_input_is_a_typed_error_and_saves_nothing(
    gql, unicrm_state, configure, overrides, expected, line
):
    payload = (await gql(CREATE, {"input": template_input(**overrides)}))["data"][
        "messageTemplateCreate"
    ]

    assert payload["template"] is None
    assert codes(payload)[0] == expected
    if line is not None:
        assert payload["errors"][0]["message"].startswith(f"{line}:")
    assert await count(unicrm_state, MessageTemplate) == 0


async def test_template_duplicates_and_bad_updates_change_nothing(gql, unicrm_state, configure):
    first = (await gql(CREATE, {"input": template_input()}))["data"]["messageTemplateCreate"]
    duplicate = (await gql(CREATE, {"input": template_input()}))["data"]["messageTemplateCreate"]
    broken = (
        await gql(UPDATE, {"input": {"id": first["template"]["id"], "textBody": "{{ nope }}"}})
    )["data"]["messageTemplateUpdate"]
    missing = (await gql(DELETE, {"id": to_global_id("MessageTemplate", uuid.uuid4())}))["data"][
        "messageTemplateDelete"
    ]

    assert codes(duplicate) == [("key", "DUPLICATE")]
    assert codes(broken) == [("textBody", "UNKNOWN_VARIABLE")]
    assert codes(missing) == [("id", "NOT_FOUND")]
    listed = await gql("{ messageTemplates { version textBody } }")
    assert listed["data"]["messageTemplates"] == [
        {"version": 1, "textBody": "Your code: {{ code }}"}
    ]


async def test_preview_renders_for_a_chosen_customer(gql, unicrm_state, configure):
    await gql(CREATE, {"input": template_input()})
    await gql(
        CREATE, {"input": template_input(locale="en", subject="Hi {{ customer.first_name }}")}
    )
    malee = to_global_id("Customer", await add_customer(unicrm_state))

    thai = (await gql(PREVIEW, {"key": "welcome", "customer": malee}))["data"]
    english = (
        await gql(
            PREVIEW,
            {"key": "welcome", "customer": malee, "locale": "en", "context": {"code": "X9"}},
        )
    )["data"]

    assert thai["messageTemplatePreview"]["preview"] == {
        "subject": "สวัสดี Malee",
        "text": "Your code: [code]",
        "html": "<p>[code]</p>",
        "locale": "th",
        "template": {"version": 1},
    }
    assert english["messageTemplatePreview"]["preview"]["subject"] == "Hi Malee"
    assert english["messageTemplatePreview"]["preview"]["text"] == "Your code: X9"
    unknown = (await gql(PREVIEW, {"key": "nope", "customer": malee}))["data"]
    assert codes(unknown["messageTemplatePreview"]) == [("template", "NOT_FOUND")]


async def test_message_send_queues_and_records(gql, unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    payload = (await gql(SEND, {"input": send_input(malee)}))["data"]["messageSend"]

    assert (payload["blocked"], payload["errors"]) == (False, [])
    message = payload["message"]
    assert message["status"] == "QUEUED"
    assert message["purpose"] == "MARKETING"
    assert message["address"] == "malee@example.co.th"
    assert message["customer"] == {"displayName": "Malee Suksan"}
    assert message["history"] == [{"status": "QUEUED", "source": "campaign:1"}]
    again = (await gql(SEND, {"input": send_input(malee)}))["data"]["messageSend"]
    assert again["message"]["id"] == message["id"]
    assert (await message_counts(unicrm_state))["jobs"] == 1


async def test_message_send_to_a_withdrawn_customer_is_recorded_blocked(
    gql, unicrm_state, configure
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state, consent=())
    withdraw = """mutation($input: ConsentWithdrawInput!) {
      consentWithdraw(input: $input) { errors { code } } }"""
    await gql(
        withdraw,
        {
            "input": {
                "customerId": to_global_id("Customer", malee),
                "purpose": "MARKETING",
                "channel": "EMAIL",
                "source": "STAFF",
            }
        },
    )

    payload = (await gql(SEND, {"input": send_input(malee)}))["data"]["messageSend"]

    assert payload["blocked"] is True
    assert codes(payload) == [("customerId", "CONSENT_WITHDRAWN")]
    assert payload["message"]["status"] == "BLOCKED"
    assert payload["message"]["reasonCode"] == "CONSENT_WITHDRAWN"
    counts = await message_counts(unicrm_state)
    assert (counts["messages"], counts["jobs"]) == (1, 0)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"channel": "fax"}, ("channel", "UNKNOWN_CHANNEL")),
        ({"context": {}}, ("context", "MISSING_VARIABLE")),
        ({"context": ["code"]}, ("context", "INVALID")),
        ({"templateKey": "nope"}, ("template", "NOT_FOUND")),
        ({"customerId": "bm9wZQ"}, ("customerId", "INVALID_ID")),
        ({"senderKey": ""}, ("senderKey", "REQUIRED")),
    ],
)
async def test_message_send_bad_input_is_a_typed_error_and_writes_nothing(
    gql, unicrm_state, configure, overrides, expected
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    before = await message_counts(unicrm_state)

    payload = (await gql(SEND, {"input": send_input(malee, **overrides)}))["data"]["messageSend"]

    assert payload["message"] is None
    assert codes(payload)[0] == expected
    assert await message_counts(unicrm_state) == before


async def test_contact_policy_check_answers_before_a_send(gql, unicrm_state, configure):
    allowed = to_global_id("Customer", await add_customer(unicrm_state))
    unknown = to_global_id(
        "Customer", await add_customer(unicrm_state, "Nok", email="nok@example.co.th", consent=())
    )

    ok = await gql(CHECK, {"customer": allowed, "channel": "email", "purpose": "MARKETING"})
    refused = await gql(CHECK, {"customer": unknown, "channel": "email", "purpose": "MARKETING"})
    service = await gql(CHECK, {"customer": unknown, "channel": "email", "purpose": "SERVICE"})
    bad = await gql(CHECK, {"customer": allowed, "channel": "fax", "purpose": "SERVICE"})

    assert ok["data"]["contactPolicyCheck"] == {
        "allowed": True,
        "code": None,
        "reason": None,
        "deferred": False,
    }
    assert refused["data"]["contactPolicyCheck"]["code"] == "NO_CONSENT"
    assert service["data"]["contactPolicyCheck"]["allowed"] is True
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await count(unicrm_state, MessageTemplate) == 0


async def test_messages_list_filters_and_customer_messages(gql, unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    nok = await add_customer(unicrm_state, "Nok", email="nok@example.co.th", consent=())
    for key in ("campaign:1", "campaign:2"):
        await gql(SEND, {"input": send_input(malee, senderKey=key)})
    await gql(SEND, {"input": send_input(nok)})
    await gql(SEND, {"input": send_input(malee, channel="sms")})

    everything = await gql("{ messages { totalCount edges { node { senderKey } } } }")
    blocked = await gql(
        "{ messages(filter: {status: BLOCKED}) { nodes { customer { displayName } } } }"
    )
    sms = await gql('{ messages(filter: {channel: "sms"}) { nodes { senderKey } } }')
    page = await gql(
        """query($id: ID!) { node(id: $id) { ... on Customer {
          messages(first: 2) { totalCount pageInfo { hasNextPage endCursor }
                               nodes { senderKey channel } } } } }""",
        {"id": to_global_id("Customer", malee)},
    )

    assert everything["data"]["messages"]["totalCount"] == 4
    assert blocked["data"]["messages"]["nodes"] == [{"customer": {"displayName": "Nok Suksan"}}]
    assert sms["data"]["messages"]["nodes"] == [{"senderKey": "campaign:1"}]
    messages = page["data"]["node"]["messages"]
    assert messages["totalCount"] == 3
    assert messages["pageInfo"]["hasNextPage"] is True
    assert [n["channel"] for n in messages["nodes"]] == ["sms", "email"]
    rest = await gql(
        """query($id: ID!, $after: String) { node(id: $id) { ... on Customer {
          messages(first: 2, after: $after) { pageInfo { hasNextPage } nodes { senderKey } } } } }""",
        {"id": to_global_id("Customer", malee), "after": messages["pageInfo"]["endCursor"]},
    )
    assert rest["data"]["node"]["messages"] == {
        "pageInfo": {"hasNextPage": False},
        "nodes": [{"senderKey": "campaign:1"}],
    }


async def test_suppressions_add_list_remove(gql, unicrm_state, configure):
    added = (
        await gql(
            SUPPRESS,
            {
                "input": {
                    "channel": "email",
                    "address": "Spam@Example.com",
                    "purpose": "MARKETING",
                    "note": "asked by phone",
                }
            },
        )
    )["data"]["suppressionAdd"]
    suppression = added["suppression"]

    assert added["errors"] == []
    assert suppression["reason"] == "MANUAL"
    assert suppression["purpose"] == "MARKETING"
    listed = await gql('{ suppressions(channel: "email") { totalCount nodes { address } } }')
    assert listed["data"]["suppressions"]["nodes"] == [{"address": "Spam@Example.com"}]
    removed = (await gql(UNSUPPRESS, {"id": suppression["id"]}))["data"]["suppressionRemove"]
    assert removed["errors"] == []
    listed = await gql("{ suppressions { totalCount } }")
    assert listed["data"]["suppressions"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"channel": "fax", "address": "a@b.c"}, ("channel", "UNKNOWN_CHANNEL")),
        ({"channel": "email", "address": "  "}, ("address", "REQUIRED")),
        ({"channel": "email", "address": "a@b.c", "note": "x" * 501}, ("note", "TOO_LONG")),
    ],
)
async def test_suppression_bad_input_is_a_typed_error(
    gql, unicrm_state, configure, payload, expected
):
    added = (await gql(SUPPRESS, {"input": payload}))["data"]["suppressionAdd"]

    assert added["suppression"] is None
    assert codes(added)[0] == expected
    assert (await message_counts(unicrm_state))["suppressions"] == 0


async def test_removing_an_unknown_suppression_is_a_typed_error(gql, unicrm_state, configure):
    removed = (await gql(UNSUPPRESS, {"id": to_global_id("Suppression", uuid.uuid4())}))["data"]

    assert codes(removed["suppressionRemove"]) == [("id", "NOT_FOUND")]


async def test_store_staff_see_message_addresses_masked(gql, unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    await gql(SEND, {"input": send_input(malee)})
    token = await sign_in_as(unicrm_state, "till@shop.test", "store_staff")

    async with client_for(unicrm_state, token) as staff:
        body = (
            await staff.post(
                "/graphql", json={"query": "{ messages { nodes { status address } } }"}
            )
        ).json()
        send = (
            await staff.post(
                "/graphql",
                json={"query": SEND, "variables": {"input": send_input(malee, senderKey="x")}},
            )
        ).json()

    assert body["data"]["messages"]["nodes"] == [
        {"status": "QUEUED", "address": "m***@example.co.th"}
    ]
    assert send["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await message_counts(unicrm_state))["messages"] == 1
