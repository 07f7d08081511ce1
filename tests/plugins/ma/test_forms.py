"""Forms: marketers define them through GraphQL; a public submission creates or updates a
lead through core's upsert, records ticked consents with their source, identifies the visitor;
honeypot, rate limit and bad input store nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from plugins.ma.support import BROWSER, count
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.consents.models import ConsentEvent, ConsentSource, ConsentStatus
from unicrm.core.graph.contacts.models import CustomerEmail
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.leads.models import Lead, LeadSource
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.plugins.ma.models import FormSubmission, TrackingEvent

CREATE = """
mutation($input: MaFormInput!) {
  maFormCreate(input: $input) {
    errors { field code message }
    form { id key submitUrl fields { name attribute required } consents { name purpose channel } }
  }
}"""
DEMO = {
    "key": "demo-request",
    "name": "Request a demo",
    "fields": [
        {"name": "work_email", "label": "Work e-mail", "attribute": "EMAIL", "required": True},
        {"name": "given_name", "label": "First name", "attribute": "FIRST_NAME", "required": True},
        {"name": "mobile", "label": "Mobile", "attribute": "PHONE"},
        {"name": "team_size", "label": "Team size"},
    ],
    "consents": [
        {"name": "news", "label": "Send me news by e-mail", "purpose": "MARKETING"},
        {"name": "sms_news", "label": "SMS offers", "purpose": "MARKETING", "channel": "SMS"},
    ],
    "policyVersion": "2026-01",
}
ANSWERS = {
    "work_email": "Somchai@Example.co.th",
    "given_name": "Somchai",
    "team_size": "25",
    "news": True,
}


async def _create(gql, **changes: Any) -> dict[str, Any]:
    data = await gql(CREATE, {"input": {**DEMO, **changes}})
    assert "errors" not in data, data
    return data["data"]["maFormCreate"]


async def _rows(state, model: type, *order: Any) -> list[Any]:
    async with state.db.session() as session:
        return list(await session.scalars(select(model).order_by(*order)))


async def test_a_submission_creates_a_lead_records_ticked_consent_and_identifies_the_visitor(
    unicrm_state, gql, anonymous_client
):
    created = await _create(gql)
    assert created["errors"] == []
    assert created["form"]["submitUrl"].endswith("/f/demo-request")
    await anonymous_client.get("/t/v", params={"u": "https://shop.test/pricing"}, headers=BROWSER)

    response = await anonymous_client.post("/f/demo-request", json=ANSWERS, headers=BROWSER)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "accepted"}
    [customer] = await _rows(unicrm_state, Customer)
    assert customer.first_name == "Somchai"
    [lead] = await _rows(unicrm_state, Lead)
    assert (lead.customer_id, lead.source) == (customer.id, LeadSource.WEB_FORM)
    [consent] = await _rows(unicrm_state, ConsentEvent)
    assert (consent.purpose, consent.channel, consent.status, consent.source) == (
        "marketing",
        "email",
        ConsentStatus.GRANTED,
        ConsentSource.WEB_FORM,
    )
    assert consent.evidence["form"] == "demo-request"
    assert consent.policy_version == "2026-01"
    [submission] = await _rows(unicrm_state, FormSubmission)
    assert submission.answers == {
        "work_email": "Somchai@Example.co.th",
        "given_name": "Somchai",
        "team_size": "25",
    }
    assert (submission.consents, submission.outcome) == (["marketing:email"], "created")
    events = await _rows(unicrm_state, TrackingEvent, TrackingEvent.occurred_at)
    assert [(e.kind, e.customer_id) for e in events] == [
        ("page_view", customer.id),
        ("form_submit", customer.id),
    ]
    kinds = {e.kind for e in await _rows(unicrm_state, TimelineEntry)}
    assert "ma.form_submitted" in kinds
    types = [e.type for e in await _rows(unicrm_state, OutboxEvent)]
    assert "ma.form_submitted" in types

    data = await gql(
        "{ customers(first: 5) { edges { node { maFormSubmissions { consents outcome answers } "
        "maActivity { kind } } } } }"
    )
    [edge] = data["data"]["customers"]["edges"]
    assert edge["node"]["maFormSubmissions"][0]["outcome"] == "CREATED".lower()
    assert [a["kind"] for a in edge["node"]["maActivity"]] == ["FORM_SUBMIT", "PAGE_VIEW"]


async def test_a_second_submission_by_email_or_phone_updates_the_same_person(
    unicrm_state, gql, anonymous_client
):
    await _create(gql)
    first = {**ANSWERS, "mobile": "081 234 5678"}
    assert (await anonymous_client.post("/f/demo-request", json=first)).status_code == 200
    again = {**ANSWERS, "work_email": "somchai@example.co.th", "news": False}
    assert (await anonymous_client.post("/f/demo-request", json=again)).status_code == 200
    by_phone = {"work_email": "other@example.co.th", "given_name": "S", "mobile": "0812345678"}
    assert (await anonymous_client.post("/f/demo-request", json=by_phone)).status_code == 200

    assert await count(unicrm_state, Customer) == 1
    assert await count(unicrm_state, Lead) == 1
    outcomes = [s.outcome for s in await _rows(unicrm_state, FormSubmission, "submitted_at")]
    assert outcomes == ["created", "unchanged", "updated"]
    emails = {e.address for e in await _rows(unicrm_state, CustomerEmail)}
    assert emails == {"somchai@example.co.th", "other@example.co.th"}
    assert await count(unicrm_state, ConsentEvent) == 1  # only the first ticked the box


async def test_an_unticked_box_records_no_consent_and_a_required_one_refuses_everything(
    unicrm_state, gql, anonymous_client
):
    consents = [
        {
            "name": "terms",
            "label": "I agree",
            "purpose": "DATA_SHARING",
            "channel": "ANY",
            "required": True,
        },
        {"name": "news", "label": "News", "purpose": "MARKETING"},
    ]
    await _create(gql, consents=consents)

    refused = await anonymous_client.post(
        "/f/demo-request", json={**ANSWERS, "news": True, "terms": "off"}
    )

    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "terms", "code": "CONSENT_REQUIRED", "message": "I agree must be ticked"}
    ]
    for model in (Customer, Lead, ConsentEvent, FormSubmission, TrackingEvent):
        assert await count(unicrm_state, model) == 0, model

    ok = await anonymous_client.post("/f/demo-request", json={**ANSWERS, "news": "", "terms": "on"})

    assert ok.status_code == 200
    [consent] = await _rows(unicrm_state, ConsentEvent)
    assert (consent.purpose, consent.channel) == ("data_sharing", "any")


async def test_an_html_form_post_gets_a_thank_you_page(unicrm_state, gql, anonymous_client):
    await _create(gql)
    response = await anonymous_client.post(
        "/f/demo-request",
        data={"work_email": "malee@example.co.th", "given_name": "Malee", "news": "on"},
    )
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "Request a demo" in response.text
    assert await count(unicrm_state, ConsentEvent) == 1


async def test_a_filled_honeypot_looks_accepted_but_stores_nothing(
    unicrm_state, gql, anonymous_client
):
    await _create(gql)
    response = await anonymous_client.post(
        "/f/demo-request", json={**ANSWERS, "website": "http://spam.test"}
    )
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    for model in (Customer, Lead, ConsentEvent, FormSubmission):
        assert await count(unicrm_state, model) == 0, model


async def test_submissions_over_the_forms_rate_are_refused_with_retry_after(
    unicrm_state, gql, anonymous_client
):
    await _create(gql, key="rate-limited", submissionsPerMinute=2)
    answers = [{**ANSWERS, "work_email": f"p{i}@example.co.th"} for i in range(3)]
    statuses = [
        (await anonymous_client.post("/f/rate-limited", json=a)).status_code for a in answers[:2]
    ]
    refused = await anonymous_client.post("/f/rate-limited", json=answers[2])

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["code"] == "RATE_LIMITED"
    assert await count(unicrm_state, FormSubmission) == 2


@pytest.mark.parametrize(
    ("body", "status", "field", "code"),
    [
        ({"given_name": "Somchai"}, 422, "work_email", "REQUIRED"),
        ({**ANSWERS, "work_email": "not-an-email"}, 422, "work_email", "INVALID"),
        ({**ANSWERS, "team_size": "x" * 1001}, 422, "team_size", "TOO_LONG"),
        ({**ANSWERS, "mobile": "12"}, 422, "mobile", "INVALID"),
        (b"{not json", 400, None, "BAD_REQUEST"),
        (b'["a list"]', 400, None, "BAD_REQUEST"),
        (b'{"given_name": "' + b"x" * 70_000 + b'"}', 400, None, "BAD_REQUEST"),
    ],
)
async def test_bad_submissions_answer_typed_errors_and_store_nothing(
    unicrm_state, gql, anonymous_client, body, status, field, code
):
    await _create(gql)
    if isinstance(body, dict):
        response = await anonymous_client.post("/f/demo-request", json=body)
    else:
        response = await anonymous_client.post(
            "/f/demo-request", content=body, headers={"Content-Type": "application/json"}
        )

    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]
    for model in (Customer, Lead, ConsentEvent, FormSubmission, TrackingEvent):
        assert await count(unicrm_state, model) == 0, model


async def test_an_unknown_or_inactive_form_is_not_found(unicrm_state, gql, anonymous_client):
    await _create(gql, active=False)
    for key in ("demo-request", "no-such-form", "Bad%20Key"):
        response = await anonymous_client.post(f"/f/{key}", json=ANSWERS)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "NOT_FOUND"
    assert await count(unicrm_state, Customer) == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"key": "Bad Key"}, "key", "INVALID"),
        ({"name": " "}, "name", "INVALID"),
        ({"fields": []}, "fields", "REQUIRED"),
        (
            {"fields": [{"name": "team", "label": "Team"}]},
            "fields",
            "REQUIRED",
        ),  # no e-mail or phone field
        (
            {
                "fields": [
                    {"name": "email", "label": "E-mail", "attribute": "EMAIL"},
                    {"name": "email", "label": "Again"},
                ]
            },
            "fields.1",
            "DUPLICATE",
        ),
        (
            {"fields": [{"name": "website", "label": "Site", "attribute": "EMAIL"}]},
            "fields.0.name",
            "INVALID",
        ),
        ({"submissionsPerMinute": 0}, "submissionsPerMinute", "INVALID"),
        ({"policyVersion": None}, "policyVersion", "REQUIRED"),
        (
            {"consents": [{"name": "share", "label": "Share", "purpose": "DATA_SHARING"}]},
            "consents.0.channel",
            "INVALID",
        ),  # data sharing has no channel
    ],
)
async def test_form_create_rejects_bad_definitions_and_writes_nothing(
    unicrm_state, gql, changes, field, code
):
    result = await _create(gql, **changes)
    assert result["form"] is None
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)
    data = await gql("{ maForms { key } }")
    assert data["data"]["maForms"] == []


async def test_form_keys_are_unique_and_update_checks_like_create(unicrm_state, gql):
    first = await _create(gql)
    again = await _create(gql)
    assert again["errors"][0]["code"] == "DUPLICATE"

    update = """
    mutation($input: MaFormUpdateInput!) {
      maFormUpdate(input: $input) { errors { field code } form { key name } }
    }"""
    changed = await gql(
        update, {"input": {"id": first["form"]["id"], "form": {**DEMO, "name": "Book a demo"}}}
    )
    assert changed["data"]["maFormUpdate"] == {
        "errors": [],
        "form": {"key": "demo-request", "name": "Book a demo"},
    }
    bad_id = await gql(update, {"input": {"id": "nope", "form": DEMO}})
    assert bad_id["data"]["maFormUpdate"]["errors"][0]["code"] == "INVALID_ID"
    missing = await gql(
        update, {"input": {"id": to_global_id("MaForm", uuid.uuid4()), "form": DEMO}}
    )
    assert missing["data"]["maFormUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    bad = await gql(update, {"input": {"id": first["form"]["id"], "form": {**DEMO, "key": "-"}}})
    [error] = bad["data"]["maFormUpdate"]["errors"]
    assert (error["field"], error["code"]) == ("key", "INVALID")
    data = await gql("{ maForms { name } }")
    assert data["data"]["maForms"] == [{"name": "Book a demo"}]
