"""A merge writes its own ``merge`` entry in the merge's transaction, besides the mutation's."""

from __future__ import annotations

from audit.conftest import audit_entries

MERGE = """
mutation Merge($input: CustomerMergeInput!) {
  customerMerge(input: $input) { mergeId errors { field code } }
}
"""


async def create_person(gql, name: str) -> str:
    body = await gql(
        "mutation($n: String!) { customerCreate(input: {kind: PERSON, firstName: $n}) "
        "{ customer { id } } }",
        {"n": name},
    )
    return body["data"]["customerCreate"]["customer"]["id"]


async def test_a_merge_is_audited_with_both_customers_and_the_merge(gql, unicrm_state):
    source, target = await create_person(gql, "Anan"), await create_person(gql, "Anan")
    body = await gql(MERGE, {"input": {"sourceId": source, "targetId": target}})
    merge_id = body["data"]["customerMerge"]["mergeId"]

    merge, mutation = (await audit_entries(unicrm_state))[-2:]
    assert merge.action == "merge"
    assert merge.targets == [source, target, merge_id]
    assert (merge.department, merge.actor_kind, merge.outcome) == ("default", "user", "ok")
    assert (mutation.action, mutation.field, mutation.operation) == (
        "mutation",
        "customerMerge",
        "Merge",
    )
    assert mutation.targets[:2] == [source, target]
    assert merge_id in mutation.targets


async def test_a_refused_merge_has_no_merge_entry_only_the_failed_mutation(gql, unicrm_state):
    person = await create_person(gql, "Boon")
    body = await gql(MERGE, {"input": {"sourceId": person, "targetId": person}})
    assert body["data"]["customerMerge"]["errors"][0]["code"] == "SAME_CUSTOMER"

    entries = await audit_entries(unicrm_state)
    assert "merge" not in [e.action for e in entries]
    assert (entries[-1].field, entries[-1].outcome) == ("customerMerge", "SAME_CUSTOMER")
    assert entries[-1].targets == [person]
