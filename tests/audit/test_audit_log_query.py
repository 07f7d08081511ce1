"""``auditLog``: filters, keyset pages newest first, and refusals of bad filters."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from audit.conftest import audit_entries
from unicrm.core.audit.services import record
from unicrm.core.graph.context import Actor
from unicrm.core.graph.ids import to_global_id

ALICE = Actor(user_id=uuid.UUID(int=0xA), name="Alice", kind="user")
BOT = Actor(user_id=uuid.UUID(int=0xB), name="POS import", kind="api_key")
CUSTOMER = to_global_id("Customer", uuid.UUID(int=1))
OTHER = to_global_id("Customer", uuid.UUID(int=2))

LOG = """
query Log($filter: AuditLogFilter, $first: Int, $after: String, $last: Int, $before: String) {
  auditLog(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node {
      id at actorKind actorId actorName department action field targets outcome details
    } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

SEED = [
    # actor, action, department, targets, outcome
    (ALICE, "auth.login", None, [], "ok"),
    (ALICE, "mutation", "sales", [CUSTOMER], "ok"),
    (BOT, "apikey.used", "default", [], "ok"),
    (BOT, "mutation", "default", [CUSTOMER, OTHER], "NOT_FOUND"),
    (ALICE, "merge", "sales", [OTHER], "ok"),
]


async def seed(state) -> None:
    """The entries of ``SEED``, oldest first, each in its own transaction."""
    for actor, action, department, targets, outcome in SEED:
        async with state.db.transaction() as session:
            await record(
                session,
                actor=actor,
                action=action,
                department=department,
                targets=targets,
                outcome=outcome,
                details={"attempt": 1} if action == "auth.login" else None,
            )


async def log(gql, **variables) -> dict:
    body = await gql(LOG, variables)
    assert "errors" not in body, body
    return body["data"]["auditLog"]


def actions(page: dict) -> list[str]:
    return [edge["node"]["action"] for edge in page["edges"]]


async def test_the_log_lists_every_entry_newest_first(gql, unicrm_state):
    await seed(unicrm_state)
    page = await log(gql)
    assert actions(page) == ["merge", "mutation", "apikey.used", "mutation", "auth.login"]
    assert page["totalCount"] == 5
    newest = page["edges"][0]["node"]
    assert newest["actorId"] == to_global_id("User", ALICE.user_id)
    assert (newest["actorKind"], newest["actorName"]) == ("user", "Alice")
    assert newest["targets"] == [OTHER]
    assert page["edges"][-1]["node"]["details"] == {"attempt": 1}
    assert page["edges"][2]["node"]["actorId"] == to_global_id("ApiKey", BOT.user_id)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (
            {"actorId": to_global_id("User", uuid.UUID(int=0xA))},
            ["merge", "mutation", "auth.login"],
        ),
        ({"action": "mutation"}, ["mutation", "mutation"]),
        ({"department": "sales"}, ["merge", "mutation"]),
        ({"targetId": CUSTOMER}, ["mutation", "mutation"]),
        ({"targetId": OTHER, "department": "default"}, ["mutation"]),
        ({"targetId": to_global_id("Customer", uuid.UUID(int=3))}, []),
    ],
    ids=["actor", "action", "department", "target", "target-and-department", "unknown-target"],
)
async def test_filters_keep_only_matching_entries(gql, unicrm_state, criteria, expected):
    await seed(unicrm_state)
    page = await log(gql, filter=criteria)
    assert actions(page) == expected
    assert page["totalCount"] == len(expected)


async def test_from_and_to_bound_the_time_range(gql, unicrm_state):
    await seed(unicrm_state)
    at = [e.at for e in await audit_entries(unicrm_state)]
    page = await log(gql, filter={"from": at[1].isoformat(), "to": at[4].isoformat()})
    assert actions(page) == ["mutation", "apikey.used", "mutation"]
    later = (at[4] + timedelta(seconds=1)).isoformat()
    assert actions(await log(gql, filter={"from": later})) == []


async def test_pages_forward_and_backward_by_cursor(gql, unicrm_state):
    await seed(unicrm_state)
    first = await log(gql, first=2)
    assert actions(first) == ["merge", "mutation"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = await log(gql, first=2, after=first["pageInfo"]["endCursor"])
    assert actions(second) == ["apikey.used", "mutation"]
    third = await log(gql, first=2, after=second["pageInfo"]["endCursor"])
    assert actions(third) == ["auth.login"]
    assert third["pageInfo"]["hasNextPage"] is False

    back = await log(gql, last=2, before=third["pageInfo"]["startCursor"])
    assert actions(back) == ["apikey.used", "mutation"]
    assert back["pageInfo"]["hasPreviousPage"] is True


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"filter": {"targetId": "%%%"}}, "targetId is not a valid id"),
        ({"filter": {"actorId": "alice@example.com"}}, "actorId is not a valid id"),
        ({"filter": {"action": "DROP TABLE audit_entry"}}, "action must be a dotted"),
        ({"filter": {"from": "2026-01-01T00:00:00"}}, "from needs a time zone"),
        (
            {"filter": {"from": "2026-02-01T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"}},
            "from must not be later than to",
        ),
        ({"first": 1000}, "first must be between"),
        ({"first": 2, "after": "not-a-cursor"}, "after is not a valid cursor"),
    ],
    ids=["target-id", "actor-id", "action", "naive-time", "reversed-range", "page-size", "cursor"],
)
async def test_a_bad_filter_is_a_bad_request(gql, unicrm_state, variables, message):
    await seed(unicrm_state)
    body = await gql(LOG, variables)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]
    assert len(await audit_entries(unicrm_state)) == len(SEED)


async def test_a_malformed_time_is_a_validation_error(gql):
    body = await gql(LOG, {"filter": {"to": "yesterday"}})
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
