"""Agent replies reach the customer: a public reply is e-mailed over SMTP through core
messaging (contact policy respected), the customer's answer threads back into the case, and the
survey link is e-mailed once when a case is resolved."""

from __future__ import annotations

from email.message import EmailMessage

from core.messaging.messaging_support import add_customer, add_templates, run_jobs
from sqlalchemy import func, select

from core.messaging import conftest as messaging
from plugins.crm_support import MESSAGE, OPEN, STATUS, codes
from plugins.support import customer_gid
from unicrm.core.messaging.models import Message
from unicrm.core.messaging.services import TemplateData
from unicrm.plugins.crm.models import Case, CaseMessage
from unicrm.plugins.crm.services.inbound import receive_email

# the messaging tests' real SMTP server and runtime set-up
smtp, configure = messaging.smtp, messaging.configure
provider, http_provider = messaging.provider, messaging.http_provider

REPLY = TemplateData(
    key="crm.case_reply",
    channel="email",
    locale="th",
    subject="Re: {{ case_subject }} {{ case_tag }}",
    text_body="{{ body }}\n\n{{ agent_name }}",
    variables=("case_subject", "case_tag", "body", "agent_name"),
)
SURVEY = TemplateData(
    key="crm.case_survey",
    channel="email",
    locale="th",
    subject="How did we do? {{ case_tag }}",
    text_body="Rate us: {{ survey_url }}",
    variables=("case_tag", "survey_url"),
)
REPLIES = """query($id: ID!) { case(id: $id) {
    messages { kind body delivery { status channel } } } }"""


async def _case(gql, customer_id) -> str:
    variables = {
        "input": {
            "customerId": customer_gid(customer_id),
            "subject": "Wifi down",
            "channel": "EMAIL",
        }
    }
    return (await gql(OPEN, variables))["data"]["caseOpen"]["case"]["id"]


async def _reply(gql, case_id: str, body: str, kind: str = "REPLY") -> dict:
    variables = {"input": {"caseId": case_id, "kind": kind, "body": body}}
    return (await gql(MESSAGE, variables))["data"]["caseMessageAdd"]


async def _count(state, model, *where) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_a_reply_is_emailed_and_the_answer_threads_back(gql, unicrm_state, configure, smtp):
    state = unicrm_state
    await add_templates(state, REPLY)
    customer = await add_customer(state, "Malee", email="malee@example.co.th")
    case_id = await _case(gql, customer)

    note = await _reply(gql, case_id, "Checked the line: fine.", "NOTE")
    done = await _reply(gql, case_id, "Please restart the router.")
    assert note["errors"] == [] and done["errors"] == []
    assert done["case"]["status"] == "OPEN"
    assert await run_jobs(state) >= 1

    [sent] = smtp.mails  # the note stays internal
    assert sent["To"] == "malee@example.co.th"
    assert f"[case:{case_id}]" in sent["Subject"]
    assert "Please restart the router." in sent.get_content()
    messages = (await gql(REPLIES, {"id": case_id}))["data"]["case"]["messages"]
    assert [(m["kind"], m["delivery"]) for m in messages] == [
        ("NOTE", None),
        ("REPLY", {"status": "SENT", "channel": "email"}),
    ]

    answer = EmailMessage()  # the customer's client keeps In-Reply-To, drops the tag
    answer["From"] = "Malee <malee@example.co.th>"
    answer["To"] = "support@unicrm.test"
    answer["Subject"] = "Re: Wifi down"
    answer["Message-ID"] = "<answer-1@example.co.th>"
    answer["In-Reply-To"] = sent["Message-ID"]
    answer.set_content("Restarted, works now.")
    async with state.db.transaction() as session:
        received = await receive_email(session, answer.as_bytes(), state.settings.zone, 7, None)
    assert not received.opened
    assert await _count(state, Case) == 1
    messages = (await gql(REPLIES, {"id": case_id}))["data"]["case"]["messages"]
    assert messages[-1]["kind"] == "CUSTOMER" and "works now" in messages[-1]["body"]


async def test_the_contact_policy_decides_and_a_closed_case_takes_no_reply(
    gql, unicrm_state, configure, smtp
):
    state = unicrm_state
    await add_templates(state, REPLY)
    no_email = await add_customer(state, "Somchai", email=None)
    case_id = await _case(gql, no_email)
    done = await _reply(gql, case_id, "We called you back.")
    await run_jobs(state)
    assert done["errors"] == [] and smtp.mails == []
    [reply] = (await gql(REPLIES, {"id": case_id}))["data"]["case"]["messages"]
    assert reply["delivery"]["status"] == "BLOCKED"  # kept in the case, never sent

    for status in ("RESOLVED", "CLOSED"):
        await gql(STATUS, {"id": case_id, "status": status})
    before = (await _count(state, CaseMessage), await _count(state, Message))
    refused = await _reply(gql, case_id, "One more thing")
    assert codes(refused) == [("caseId", "CASE_CLOSED")]
    assert (await _count(state, CaseMessage), await _count(state, Message)) == before


async def test_the_survey_link_is_emailed_once(gql, unicrm_state, configure, smtp):
    state = unicrm_state
    await add_templates(state, SURVEY)
    customer = await add_customer(state, "Malee", email="malee@example.co.th")
    case_id = await _case(gql, customer)
    for status in ("RESOLVED", "OPEN", "RESOLVED"):
        result = await gql(STATUS, {"id": case_id, "status": status})
        assert result["data"]["caseStatusSet"]["errors"] == []
    await run_jobs(state)

    [sent] = smtp.mails
    link = (await gql("query($id: ID!) { case(id: $id) { survey { link } } }", {"id": case_id}))[
        "data"
    ]["case"]["survey"]["link"]
    assert link.startswith("http://unicrm.test/crm/surveys/")
    assert link in sent.get_content()
