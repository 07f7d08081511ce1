"""Inbound e-mail through a real SMTP conversation (aiosmtpd serving, smtplib sending) and
the web form endpoint: a case opens, a reply threads into its case, a redelivery changes
nothing, and what cannot become a case is refused with nothing written."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import pytest
from core.lead_support import count
from sqlalchemy import select

from plugins.crm_support import team
from unicrm.core.graph.contacts.models import CustomerEmail
from unicrm.core.graph.contacts.services import add_email
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.testing.pytest_plugin import client_for
from unicrm.plugins.crm.mail import serve
from unicrm.plugins.crm.models import Case, CaseAttachment, CaseChannel, CaseMessage, CaseStatus


@pytest.fixture
async def smtp(unicrm_state):
    server = await serve(unicrm_state, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def send(message: EmailMessage) -> None:
        def deliver() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.send_message(message, to_addrs=["support@unicrm.test"])

        await asyncio.to_thread(deliver)

    yield send
    server.close()
    await server.wait_closed()


def mail(sender: str, subject: str, body: str, message_id: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@unicrm.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def _cases(state) -> list[Case]:
    async with state.db.session() as session:
        return list(await session.scalars(select(Case).order_by(Case.opened_at, Case.id)))


async def test_an_email_opens_a_case_and_its_reply_threads_into_it(unicrm_state, smtp):
    state = unicrm_state
    first = mail("Malee Jaidee <Malee@Example.com>", "Router broken", "No light.", "<m1@ex.com>")
    first.add_attachment(b"\x89PNG....", maintype="image", subtype="png", filename="light.png")
    await smtp(first)

    [case] = await _cases(state)
    assert (case.channel, case.status, case.subject) == (
        CaseChannel.EMAIL,
        CaseStatus.NEW,
        "Router broken",
    )
    async with state.db.session() as session:
        customer = await session.get(Customer, case.customer_id)
        address = await session.scalar(
            select(CustomerEmail.address).where(CustomerEmail.customer_id == customer.id)
        )
        attachment = await session.scalar(select(CaseAttachment))
    assert customer.display_name.startswith("Malee")
    assert address == "malee@example.com"
    assert (attachment.filename, attachment.content_type, attachment.size_bytes) == (
        "light.png",
        "image/png",
        8,
    )

    async with state.db.transaction() as session:
        row = await session.get(Case, case.id)
        row.status = CaseStatus.PENDING_CUSTOMER
    reply = mail(
        "malee@example.com", "Re: Router broken", "Restarted, still dark.", "<m2@ex.com>",
        In_Reply_To="<m1@ex.com>", References="<m1@ex.com>",
    )  # fmt: skip
    await smtp(reply)
    await smtp(reply)  # the sending server delivered it twice

    [threaded] = await _cases(state)
    assert threaded.id == case.id
    assert threaded.status is CaseStatus.OPEN
    async with state.db.session() as session:
        bodies = (
            await session.scalars(select(CaseMessage.body).order_by(CaseMessage.created_at))
        ).all()
    assert bodies == ["No light.", "Restarted, still dark."]


async def test_a_known_sender_gets_the_case_and_a_closed_case_is_not_continued(unicrm_state, smtp):
    state = unicrm_state
    async with state.db.transaction() as session:
        anan = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Anan")
        )
        await add_email(session, anan.id, "anan@example.com")
    await team(state, "Email desk", [])
    state.settings.crm.inbound_team = "Email desk"
    try:
        await smtp(mail("anan@example.com", "Invoice", "Wrong amount", "<a1@ex.com>"))
        [case] = await _cases(state)
        async with state.db.transaction() as session:
            row = await session.get(Case, case.id)
            row.status = CaseStatus.CLOSED
        tagged = f"Re: Invoice [case:{to_global_id('Case', case.id)}]"
        await smtp(mail("anan@example.com", tagged, "Again", "<a2@ex.com>"))
    finally:
        state.settings.crm.inbound_team = ""

    first, second = await _cases(state)
    assert first.customer_id == second.customer_id == anan.id
    assert second.subject == "Re: Invoice"
    assert first.team_id is not None and second.team_id == first.team_id
    assert await count(state, Customer) == 1


async def test_an_email_without_a_sender_is_refused(unicrm_state, smtp):
    message = mail("", "Hello", "Who am I?", "<x1@ex.com>")
    del message["From"]
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await smtp(message)
    assert refused.value.smtp_code == 550
    assert await count(unicrm_state, Case) == 0
    assert await count(unicrm_state, Customer) == 0


async def test_the_web_form_opens_a_case(unicrm_state):
    state = unicrm_state
    async with client_for(state) as http:  # a public endpoint: no credentials
        done = await http.post(
            "/crm/cases/form",
            json={
                "name": "Somchai",
                "email": "somchai@example.com",
                "subject": "Delivery late",
                "message": "Order 42 has not arrived.",
                "category": "Delivery",
            },
        )
        form_post = await http.post(
            "/crm/cases/form",
            data={"name": "Somchai", "email": "somchai@example.com", "subject": "Again",
                  "message": "Still waiting"},
        )  # fmt: skip
        bad = await http.post(
            "/crm/cases/form",
            json={"email": "not-an-address", "subject": " ", "message": ""},
        )
        garbage = await http.post(
            "/crm/cases/form", content=b"[1,2", headers={"content-type": "application/json"}
        )

    assert done.status_code == 201
    assert form_post.status_code == 201
    cases = await _cases(state)
    assert [(c.subject, c.channel, c.category) for c in cases] == [
        ("Delivery late", CaseChannel.WEB_FORM, "delivery"),
        ("Again", CaseChannel.WEB_FORM, None),
    ]
    assert done.json() == {"case": to_global_id("Case", cases[0].id)}
    assert cases[0].customer_id == cases[1].customer_id
    assert bad.status_code == 400
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [("message", "REQUIRED")]
    assert garbage.status_code == 400
    assert await count(state, Case) == 2
