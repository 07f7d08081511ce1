"""Pipelines and stages through GraphQL: several per organization, ordered stages with win
probabilities, editable without losing deal history; bad input writes nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from plugins.sfa_support import b2b, deal, gid
from plugins.support import add_customers, add_rows
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.plugins.sfa.models import Pipeline, Stage

PIPELINES = "{ pipelines { name isDefault stages { name position probability kind archived } } }"
CREATE = """mutation($input: PipelineCreateInput!) { pipelineCreate(input: $input) {
  pipeline { id name isDefault stages { id name position probability kind } }
  errors { field code message } } }"""
ADD = """mutation($input: PipelineStageAddInput!) { pipelineStageAdd(input: $input) {
  stage { name position pipeline { stages { name position } } } errors { field code } } }"""
UPDATE = """mutation($input: PipelineStageUpdateInput!) { pipelineStageUpdate(input: $input) {
  stage { name position probability pipeline { stages { name position } } }
  errors { field code } } }"""
ARCHIVE = """mutation($input: PipelineStageArchiveInput!) { pipelineStageArchive(input: $input) {
  stage { name archived } errors { field code message } } }"""
RETAIL = [
    {"name": "Walk-in", "probability": 20},
    {"name": "Quoted", "probability": 50},
    {"name": "Bought", "probability": 100, "kind": "WON"},
    {"name": "Walked away", "probability": 0, "kind": "LOST"},
]


async def count(state, model) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_default_b2b_pipeline_has_the_five_standard_stages(gql, unicrm_state):
    await b2b(unicrm_state)

    body = await gql(PIPELINES)

    assert body["data"]["pipelines"] == [
        {
            "name": "B2B",
            "isDefault": True,
            "stages": [
                {"name": n, "position": i, "probability": p, "kind": k, "archived": False}
                for i, (n, p, k) in enumerate(
                    [
                        ("Opportunity", 10, "OPEN"),
                        ("Qualify", 30, "OPEN"),
                        ("Negotiation", 60, "OPEN"),
                        ("Closed Won", 100, "WON"),
                        ("Closed Lost", 0, "LOST"),
                    ],
                    start=1,
                )
            ],
        }
    ]


async def test_an_organization_has_several_pipelines_and_one_default(gql, unicrm_state):
    await b2b(unicrm_state)

    created = await gql(CREATE, {"input": {"name": "B2C retail", "stages": RETAIL}})
    payload = created["data"]["pipelineCreate"]
    assert payload["errors"] == []
    assert [(s["name"], s["position"], s["kind"]) for s in payload["pipeline"]["stages"]] == [
        ("Walk-in", 1, "OPEN"),
        ("Quoted", 2, "OPEN"),
        ("Bought", 3, "WON"),
        ("Walked away", 4, "LOST"),
    ]
    made_default = await gql(
        CREATE, {"input": {"name": "Projects", "stages": RETAIL, "isDefault": True}}
    )
    assert made_default["data"]["pipelineCreate"]["pipeline"]["isDefault"] is True

    listed = (await gql("{ pipelines { name isDefault } }"))["data"]["pipelines"]
    assert listed == [
        {"name": "Projects", "isDefault": True},
        {"name": "B2B", "isDefault": False},
        {"name": "B2C retail", "isDefault": False},
    ]


async def test_pipeline_create_refuses_bad_input_and_writes_nothing(gql, unicrm_state):
    await b2b(unicrm_state)
    before = (await count(unicrm_state, Pipeline), await count(unicrm_state, Stage))
    no_lost = [s for s in RETAIL if s.get("kind") != "LOST"]
    cases = [
        ({"name": " ", "stages": RETAIL}, [("name", "REQUIRED")]),
        ({"name": "B2B", "stages": RETAIL}, [("name", "DUPLICATE")]),
        ({"name": "Empty", "stages": []}, [("stages", "REQUIRED")]),
        ({"name": "No lost", "stages": no_lost}, [("stages", "MISSING_STAGE_KIND")]),
        (
            {"name": "Twice", "stages": [*RETAIL, {"name": "walk-in", "probability": 5}]},
            [("stages.4.name", "DUPLICATE")],
        ),
        (
            {"name": "Odds", "stages": [{"name": "Hot", "probability": 150}, *RETAIL[2:]]},
            [("stages.0.probability", "INVALID_PROBABILITY")],
        ),
        ({"name": "x" * 101, "stages": RETAIL}, [("name", "TOO_LONG")]),
    ]
    for data, expected in cases:
        body = await gql(CREATE, {"input": data})
        payload = body["data"]["pipelineCreate"]
        assert payload["pipeline"] is None, data
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, data

    assert (await count(unicrm_state, Pipeline), await count(unicrm_state, Stage)) == before


async def test_a_stage_is_added_at_a_position_and_later_ones_shift(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    pipeline_id = gid("Pipeline", stages["Opportunity"].pipeline_id)

    body = await gql(
        ADD,
        {"input": {"pipelineId": pipeline_id, "name": "Demo", "probability": 40, "position": 3}},
    )

    payload = body["data"]["pipelineStageAdd"]
    assert payload["errors"] == []
    assert [s["name"] for s in payload["stage"]["pipeline"]["stages"]] == [
        "Opportunity",
        "Qualify",
        "Demo",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ]
    assert [s["position"] for s in payload["stage"]["pipeline"]["stages"]] == [1, 2, 3, 4, 5, 6]

    cases = [
        ({"name": "qualify"}, [("name", "DUPLICATE")]),
        ({"position": 9}, [("position", "INVALID_POSITION")]),
        ({"probability": -1}, [("probability", "INVALID_PROBABILITY")]),
        ({"pipelineId": gid("Pipeline", uuid.UUID(int=4))}, [("pipelineId", "NOT_FOUND")]),
        ({"pipelineId": gid("Deal", uuid.UUID(int=4))}, [("pipelineId", "INVALID_ID")]),
    ]
    for extra, expected in cases:
        data = {"pipelineId": pipeline_id, "name": "Trial", "probability": 45, **extra}
        errors = (await gql(ADD, {"input": data}))["data"]["pipelineStageAdd"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == expected, extra
    assert await count(unicrm_state, Stage) == 6


async def test_renaming_and_reordering_a_stage_keeps_its_deals_and_history(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    row = deal(somchai, stages["Qualify"], "Fleet")
    await add_rows(unicrm_state, row)
    qualify = gid("PipelineStage", stages["Qualify"].id)

    body = await gql(
        UPDATE, {"input": {"id": qualify, "name": "Discovery", "probability": 25, "position": 1}}
    )

    stage = body["data"]["pipelineStageUpdate"]["stage"]
    assert (stage["name"], stage["position"], stage["probability"]) == ("Discovery", 1, 25)
    assert [s["name"] for s in stage["pipeline"]["stages"]][:2] == ["Discovery", "Opportunity"]
    seen = await gql(
        "query($id: ID!) { node(id: $id) { ... on Deal { stage { name } } } }",
        {"id": gid("Deal", row.id)},
    )
    assert seen["data"]["node"] == {"stage": {"name": "Discovery"}}

    cases = [
        ({"name": "Negotiation"}, [("name", "DUPLICATE")]),
        ({"position": 0}, [("position", "INVALID_POSITION")]),
        ({"probability": 101}, [("probability", "INVALID_PROBABILITY")]),
        ({"name": ""}, [("name", "REQUIRED")]),
        ({"id": gid("PipelineStage", uuid.UUID(int=8))}, [("id", "NOT_FOUND")]),
    ]
    for extra, expected in cases:
        errors = (await gql(UPDATE, {"input": {"id": qualify, **extra}}))["data"][
            "pipelineStageUpdate"
        ]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == expected, extra


async def test_only_an_empty_stage_is_archived_and_the_last_of_a_kind_stays(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    await add_rows(unicrm_state, deal(somchai, stages["Qualify"], "Fleet"))

    busy = await gql(ARCHIVE, {"input": {"id": gid("PipelineStage", stages["Qualify"].id)}})
    last_lost = await gql(
        ARCHIVE, {"input": {"id": gid("PipelineStage", stages["Closed Lost"].id)}}
    )
    empty = await gql(ARCHIVE, {"input": {"id": gid("PipelineStage", stages["Negotiation"].id)}})

    assert [e["code"] for e in busy["data"]["pipelineStageArchive"]["errors"]] == [
        "STAGE_NOT_EMPTY"
    ]
    assert [e["code"] for e in last_lost["data"]["pipelineStageArchive"]["errors"]] == [
        "MISSING_STAGE_KIND"
    ]
    assert empty["data"]["pipelineStageArchive"] == {
        "stage": {"name": "Negotiation", "archived": True},
        "errors": [],
    }
    listed = (await gql(PIPELINES))["data"]["pipelines"][0]["stages"]
    assert [s["archived"] for s in listed] == [False, False, True, False, False]


async def test_a_sales_rep_reads_pipelines_but_may_not_edit_them(unicrm_state):
    stages = await b2b(unicrm_state)
    token = await sign_in_as(unicrm_state, "rep@unicrm.test", "sales_rep")
    async with client_for(unicrm_state, token) as http:
        read = (await http.post("/graphql", json={"query": "{ pipelines { name } }"})).json()
        write = (
            await http.post(
                "/graphql",
                json={
                    "query": ARCHIVE,
                    "variables": {"input": {"id": gid("PipelineStage", stages["Qualify"].id)}},
                },
            )
        ).json()

    assert read == {"data": {"pipelines": [{"name": "B2B"}]}}
    assert write["errors"][0]["extensions"]["code"] == "FORBIDDEN"
