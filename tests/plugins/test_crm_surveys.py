"""CSAT surveys: created when a case is resolved, answered once through a signed link; a forged
token, a bad score or a second answer (also concurrently) changes nothing."""

from __future__ import annotations

import asyncio

from core.lead_support import count
from sqlalchemy import select

from plugins.crm_support import OPEN, STATUS
from plugins.support import add_customers, customer_gid
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.testing.pytest_plugin import client_for
from unicrm.plugins.crm.models import Survey

SURVEY = "query($id: ID!) { case(id: $id) { survey { link score comment answeredAt } } }"


async def _resolved_case(gql, state) -> tuple[str, str]:
    [malee] = await add_customers(state, "Malee")
    variables = {"input": {"customerId": customer_gid(malee), "subject": "Wifi", "channel": "CHAT"}}
    case_id = (await gql(OPEN, variables))["data"]["caseOpen"]["case"]["id"]
    assert (await gql(SURVEY, {"id": case_id}))["data"]["case"]["survey"] is None
    await gql(STATUS, {"id": case_id, "status": "RESOLVED"})
    link = (await gql(SURVEY, {"id": case_id}))["data"]["case"]["survey"]["link"]
    return case_id, link.removeprefix("http://localhost:8000")


async def test_a_resolved_case_gets_a_survey_answered_once(gql, unicrm_state):
    state = unicrm_state
    case_id, path = await _resolved_case(gql, state)
    assert path.startswith("/crm/surveys/")
    forged = path[:-2] + ("AA" if not path.endswith("AA") else "BB")

    async with client_for(state) as http:  # the customer: no credentials
        page = await http.get(path)
        bad_page = await http.get(forged)
        bad_score = await http.post(path, json={"score": 9})
        fake = await http.post(forged, json={"score": 5})
        first = await http.post(path, json={"score": 4, "comment": "Quick and kind"})
        second = await http.post(path, data={"score": "1", "comment": "changed my mind"})

    assert page.status_code == 200 and 'name="score"' in page.text
    assert bad_page.status_code == 404
    assert bad_score.status_code == 400
    assert [e["code"] for e in bad_score.json()["errors"]] == ["INVALID"]
    assert fake.status_code == 404
    assert [e["code"] for e in fake.json()["errors"]] == ["INVALID_TOKEN"]
    assert first.status_code == 200
    assert second.status_code == 409
    assert [e["code"] for e in second.json()["errors"]] == ["ALREADY_ANSWERED"]
    survey = (await gql(SURVEY, {"id": case_id}))["data"]["case"]["survey"]
    assert (survey["score"], survey["comment"]) == (4, "Quick and kind")
    assert await count(state, OutboxEvent, OutboxEvent.type == "crm.survey_answered") == 1
    assert await count(state, TimelineEntry, TimelineEntry.kind == "crm.survey_answered") == 1

    for status in ("OPEN", "RESOLVED"):  # reopened and resolved again: still one survey
        await gql(STATUS, {"id": case_id, "status": status})
    assert await count(state, Survey) == 1


async def test_two_answers_at_once_record_one(gql, unicrm_state):
    state = unicrm_state
    _, path = await _resolved_case(gql, state)

    async with client_for(state) as one, client_for(state) as two:
        answers = await asyncio.gather(
            one.post(path, json={"score": 5}), two.post(path, json={"score": 1})
        )

    assert sorted(a.status_code for a in answers) == [200, 409]
    async with state.db.session() as session:
        score = await session.scalar(select(Survey.score))
    winner = next(a for a in answers if a.status_code == 200)
    assert score == (5 if winner is answers[0] else 1)
