from __future__ import annotations

from executor.support import both

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { field code message } }
}
"""


async def test_customer_360_smoke(client, gql):
    created = await gql(CREATE, {"input": {"kind": "PERSON", "firstName": "Anan"}})
    cid = created["data"]["customerCreate"]["customer"]["id"]
    body = await both(
        client,
        """query($id: ID!) { customer(id: $id) { __typename id kind displayName
        emails { address isPrimary } phones { number } tags { name } parent { id }
        identities { id } consents { purpose } } }""",
        {"id": cid},
    )
    assert body["data"]["customer"]["displayName"] == "Anan"
