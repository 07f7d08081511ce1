"""What the service team sends the customer: public replies and the survey link, through core
messaging (its templates, the contact policy and durable delivery).

A reply goes out by e-mail as a service message with the ``crm.case_reply`` template; the
survey link with ``crm.case_survey``. The contact policy decides (consent, suppression, quiet
hours): a refused send is recorded ``blocked`` by core and the reply stays in the case. The
Message-ID the e-mail carries is the core message's provider id, so the customer's answer
(``In-Reply-To``) threads back into the case (services/inbound.py); the subject also carries
the case tag ``[case:<id>]`` for mail clients that drop the headers. NPS survey links go
out the same way with ``crm.nps_survey``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.messaging.channels import EMAIL
from unicrm.core.messaging.models import Message, MessagePurpose
from unicrm.core.messaging.runtime import current
from unicrm.core.messaging.services import check_policy, customer_locale, find_template, send
from unicrm.plugins.crm.models import Case, CaseMessage, NpsSurvey, Survey
from unicrm.plugins.crm.services.surveys import token_for

REPLY_TEMPLATE = "crm.case_reply"
SURVEY_TEMPLATE = "crm.case_survey"
NPS_TEMPLATE = "crm.nps_survey"


def case_tag(case: Case) -> str:
    return f"[case:{to_global_id('Case', case.id)}]"


def survey_link(survey_id: uuid.UUID, path: str = "surveys") -> str:
    """The signed page the customer answers a survey at (routes.py)."""
    rt = current()
    return f"{rt.settings.public_url}/crm/{path}/{token_for(rt.secret.decode(), survey_id)}"


async def _send(
    session: AsyncSession,
    customer_id: uuid.UUID,
    template: str,
    sender_key: str,
    available: dict[str, Any],
) -> Message | None:
    """Send ``template`` by e-mail with the variables it uses; None when the installation has
    no such template in the customer's (or the default) language, or one asking for a variable
    the plugin does not have (docs/service.md lists them)."""
    rt = current()
    if EMAIL not in rt.channels:
        return None
    customer = await session.get_one(Customer, customer_id)
    default = rt.settings.default_locale
    row = await find_template(
        session, template, EMAIL, [customer_locale(customer, default), default]
    )
    if row is None or not set(row.variables) <= set(available):
        return None
    return await send(
        session,
        customer_id=customer_id,
        channel=EMAIL,
        purpose=MessagePurpose.SERVICE,
        template=template,
        sender_key=sender_key,
        context={k: available[k] for k in row.variables},
        locale=row.locale,
    )


def _case_variables(case: Case) -> dict[str, Any]:
    return {"case_subject": case.subject, "case_tag": case_tag(case)}


async def send_reply(session: AsyncSession, case: Case, message: CaseMessage) -> None:
    """E-mail a public reply to the customer and link the core message to it."""
    sent = await _send(
        session,
        case.customer_id,
        REPLY_TEMPLATE,
        f"crm.reply:{message.id}",
        {**_case_variables(case), "body": message.body, "agent_name": message.author_name or ""},
    )
    if sent is not None:
        message.outbound_message_id = sent.id


async def send_survey(session: AsyncSession, case: Case, survey: Survey) -> None:
    """E-mail the survey link of a resolved case (once: the sender key is the survey's)."""
    await _send(
        session,
        case.customer_id,
        SURVEY_TEMPLATE,
        f"crm.survey:{survey.id}",
        {**_case_variables(case), "survey_url": survey_link(survey.id)},
    )


async def send_nps(session: AsyncSession, survey: NpsSurvey) -> Message | None:
    """E-mail an NPS survey's link (``crm.nps_survey``, variable ``survey_url``)."""
    return await _send(
        session,
        survey.customer_id,
        NPS_TEMPLATE,
        f"crm.nps:{survey.id}",
        {"survey_url": survey_link(survey.id, "nps")},
    )


CHANNEL_ORDER = ("line", "sms", "email")
"""The channels tried for a notice, in order, then any other registered."""


async def send_on_first_allowed(
    session: AsyncSession,
    customer_id: uuid.UUID,
    template: str,
    sender_key: str,
    available: dict[str, Any],
) -> str | None:
    """Send ``template`` (a service message) on the first channel that has it (using only
    ``available`` variables) and that the contact policy allows now; the channel or None."""
    rt = current()
    customer = await session.get_one(Customer, customer_id)
    default = rt.settings.default_locale
    locales = [customer_locale(customer, default), default]
    names = [c for c in CHANNEL_ORDER if c in rt.channels]
    names += sorted(set(rt.channels) - set(names))
    for name in names:
        row = await find_template(session, template, name, locales)
        if row is None or not set(row.variables) <= set(available):
            continue
        decision = await check_policy(session, customer.id, name, MessagePurpose.SERVICE)
        if not decision.allowed:
            continue
        await send(
            session,
            customer_id=customer.id,
            channel=name,
            purpose=MessagePurpose.SERVICE,
            template=template,
            sender_key=sender_key,
            context={k: available[k] for k in row.variables},
            locale=row.locale,
        )
        return name
    return None
