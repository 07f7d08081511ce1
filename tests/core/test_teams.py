"""Teams: CRUD, members, primary teams, territories, province lookup and the team row scope."""

from __future__ import annotations

from lead_support import codes, count, person, staff
from sqlalchemy import select

from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.store import load_policies, to_row
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.leads.models import LeadSource
from unicrm.core.graph.leads.services import LeadData, create_lead
from unicrm.core.graph.teams.models import Team, TeamMember
from unicrm.core.graph.users.models import User

TEAM_FIELDS = """id name manager { id } members { id displayName }
  territories { code kind name nameTh } department { slug }"""
CREATE = f"""mutation($input: TeamCreateInput!) {{
  teamCreate(input: $input) {{ team {{ {TEAM_FIELDS} }} errors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: TeamUpdateInput!) {{
  teamUpdate(input: $input) {{ team {{ {TEAM_FIELDS} }} errors {{ field code message }} }} }}"""
DELETE = """mutation($id: ID!) { teamDelete(input: {id: $id}) { team { name } errors { code } } }"""
ADD = """mutation($input: TeamMemberInput!) {
  teamMemberAdd(input: $input) { team { members { id } } errors { field code } } }"""
REMOVE = """mutation($input: TeamMemberInput!) {
  teamMemberRemove(input: $input) { team { members { id } } errors { field code } } }"""
PRIMARY = """mutation($input: UserPrimaryTeamSetInput!) {
  userPrimaryTeamSet(input: $input) { user { primaryTeam { name } teams { name } }
  errors { field code } } }"""


async def department_id(state) -> str:
    async with state.db.session() as session:
        pk = await session.scalar(select(Department.id).where(Department.is_default.is_(True)))
    return to_global_id("Department", pk)


async def user(state, email: str, name: str) -> str:
    async with state.db.transaction() as session:
        row = User(email=email, display_name=name)
        session.add(row)
        await session.flush()
    return to_global_id("User", row.id)


async def make_team(gql, dept: str, name: str, **extra) -> dict:
    payload = (await gql(CREATE, {"input": {"departmentId": dept, "name": name, **extra}}))["data"][
        "teamCreate"
    ]
    assert payload["errors"] == [], payload
    return payload["team"]


async def test_a_team_has_a_manager_members_and_validated_territories(gql, unicrm_state):
    dept = await department_id(unicrm_state)
    boss = await user(unicrm_state, "boss@unicrm.test", "Boss")
    ann = await user(unicrm_state, "ann@unicrm.test", "Ann")
    team = await make_team(
        gql,
        dept,
        "  North  Sales ",
        managerId=boss,
        memberIds=[ann],
        territories=["เชียงใหม่", "north", "10", "Bangkok", " TH-20 "],
    )
    assert team["name"] == "North Sales"
    assert team["manager"] == {"id": boss}
    assert [m["displayName"] for m in team["members"]] == ["Ann", "Boss"]
    assert [(t["code"], t["kind"]) for t in team["territories"]] == [
        ("TH-50", "PROVINCE"),
        ("north", "REGION"),
        ("TH-10", "PROVINCE"),
        ("TH-20", "PROVINCE"),
    ]
    assert team["territories"][0]["name"] == "Chiang Mai"
    assert team["territories"][1] == {
        "code": "north",
        "kind": "REGION",
        "name": "Northern",
        "nameTh": None,
    }
    assert team["department"]["slug"] == "default"


async def test_team_create_with_bad_input_writes_nothing(gql, unicrm_state):
    dept = await department_id(unicrm_state)
    await make_team(gql, dept, "Inside")
    cases = [
        ({"name": " "}, [("name", "REQUIRED")]),
        ({"name": "Field", "territories": ["Bangkok", "Atlantis"]}, [("territories.1", "INVALID")]),
        ({"name": "inside"}, []),  # names are case-sensitive: a second team
        ({"name": "Inside"}, [("name", "DUPLICATE")]),
        (
            {"name": "Field", "managerId": to_global_id("User", from_global_id(dept)[1])},
            [("managerId", "NOT_FOUND")],
        ),
        (
            {
                "name": "Field",
                "departmentId": to_global_id(
                    "Department", from_global_id(dept)[1].__class__(int=5)
                ),
            },
            [("departmentId", "NOT_FOUND")],
        ),
    ]
    for given, expected in cases:
        payload = (await gql(CREATE, {"input": {"departmentId": dept, **given}}))["data"][
            "teamCreate"
        ]
        assert codes(payload) == expected, given
    assert await count(unicrm_state, Team) == 2
    assert await count(unicrm_state, TeamMember) == 0


async def test_update_changes_territories_and_a_new_manager_joins_the_team(gql, unicrm_state):
    dept = await department_id(unicrm_state)
    team = await make_team(gql, dept, "East", territories=["east"])
    boss = await user(unicrm_state, "boss@unicrm.test", "Boss")
    payload = (
        await gql(
            UPDATE, {"input": {"id": team["id"], "managerId": boss, "territories": ["Rayong"]}}
        )
    )["data"]["teamUpdate"]
    assert payload["errors"] == []
    assert payload["team"]["members"] == [{"id": boss, "displayName": "Boss"}]
    assert [t["code"] for t in payload["team"]["territories"]] == ["TH-21"]
    bad = (await gql(UPDATE, {"input": {"id": team["id"], "territories": ["Mars"]}}))["data"]
    assert codes(bad["teamUpdate"]) == [("territories.0", "INVALID")]

    deleted = (await gql(DELETE, {"id": team["id"]}))["data"]["teamDelete"]
    assert deleted == {"team": {"name": "East"}, "errors": []}
    assert await count(unicrm_state, TeamMember) == 0


async def test_a_primary_team_must_be_one_of_the_users_teams(gql, unicrm_state):
    dept = await department_id(unicrm_state)
    ann = await user(unicrm_state, "ann@unicrm.test", "Ann")
    inside = await make_team(gql, dept, "Inside", memberIds=[ann])
    field = await make_team(gql, dept, "Field")

    refused = (await gql(PRIMARY, {"input": {"userId": ann, "teamId": field["id"]}}))["data"]
    assert codes(refused["userPrimaryTeamSet"]) == [("teamId", "NOT_MEMBER")]

    chosen = (await gql(PRIMARY, {"input": {"userId": ann, "teamId": inside["id"]}}))["data"]
    assert chosen["userPrimaryTeamSet"]["user"]["primaryTeam"] == {"name": "Inside"}

    added = await gql(ADD, {"input": {"teamId": field["id"], "userId": ann, "primary": True}})
    assert added["data"]["teamMemberAdd"]["errors"] == []
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on User { primaryTeam { name } teams { name } } } }",
        {"id": ann},
    )
    assert body["data"]["node"] == {
        "primaryTeam": {"name": "Field"},
        "teams": [{"name": "Field"}, {"name": "Inside"}],
    }
    assert await count(unicrm_state, TeamMember, TeamMember.is_primary.is_(True)) == 1

    cleared = (await gql(PRIMARY, {"input": {"userId": ann, "teamId": None}}))["data"]
    assert cleared["userPrimaryTeamSet"]["user"]["primaryTeam"] is None


async def test_removing_members_keeps_the_manager(gql, unicrm_state):
    dept = await department_id(unicrm_state)
    boss = await user(unicrm_state, "boss@unicrm.test", "Boss")
    ann = await user(unicrm_state, "ann@unicrm.test", "Ann")
    team = await make_team(gql, dept, "Inside", managerId=boss, memberIds=[ann])
    manager = (await gql(REMOVE, {"input": {"teamId": team["id"], "userId": boss}}))["data"]
    assert codes(manager["teamMemberRemove"]) == [("userId", "IS_MANAGER")]
    removed = (await gql(REMOVE, {"input": {"teamId": team["id"], "userId": ann}}))["data"]
    assert removed["teamMemberRemove"]["team"]["members"] == [{"id": boss}]
    again = (await gql(REMOVE, {"input": {"teamId": team["id"], "userId": ann}}))["data"]
    assert codes(again["teamMemberRemove"]) == [("userId", "NOT_MEMBER")]


async def test_team_for_province_prefers_the_team_naming_the_province(gql, unicrm_state):
    dept = await department_id(unicrm_state)
    await make_team(gql, dept, "Northern region", territories=["north"])
    await make_team(gql, dept, "Chiang Mai city", territories=["TH-50"])
    lookup = "query($p: String!) { teamForProvince(province: $p) { name } }"
    assert (await gql(lookup, {"p": "เชียงใหม่"}))["data"]["teamForProvince"] == {
        "name": "Chiang Mai city"
    }
    assert (await gql(lookup, {"p": "Chiang Rai"}))["data"]["teamForProvince"] == {
        "name": "Northern region"
    }
    assert (await gql(lookup, {"p": "Phuket"}))["data"]["teamForProvince"] is None
    assert (await gql(lookup, {"p": "Atlantis"}))["data"]["teamForProvince"] is None


async def _team_role(state) -> None:
    async with state.db.transaction() as session:
        for permission in ("core.customer", "core.lead"):
            session.add(to_row(Rule.allow("team_rep", "*", permission, "read", scope="team")))
        session.add(to_row(Rule.allow("team_rep", "*", "pii:profile", "read")))
    await load_policies(state)


async def test_the_team_scope_shows_rows_owned_by_my_teams_members(gql, unicrm_state):
    await _team_role(unicrm_state)
    dept = await department_id(unicrm_state)
    outsider = from_global_id(await user(unicrm_state, "out@unicrm.test", "Outsider"))[1]
    async with staff(unicrm_state, "me@unicrm.test", "team_rep") as me:
        mate = from_global_id(await user(unicrm_state, "mate@unicrm.test", "Mate"))[1]
        managed = from_global_id(await user(unicrm_state, "junior@unicrm.test", "Junior"))[1]
        await make_team(gql, dept, "Mine", memberIds=[me.gid, to_global_id("User", mate)])
        await make_team(
            gql, dept, "Managed", managerId=me.gid, memberIds=[to_global_id("User", managed)]
        )
        owners = {"Own": me.pk, "Mate's": mate, "Junior's": managed, "Outsider's": outsider}
        for name, owner in owners.items():
            customer = await person(unicrm_state, name, owner=owner)
            async with unicrm_state.db.transaction() as session:
                await create_lead(
                    session,
                    LeadData(
                        customer_id=from_global_id(customer)[1],
                        source=LeadSource.EVENT,
                        owner_id=owner,
                    ),
                )

        body = await me.gql(
            "{ customers(first: 10) { edges { node { displayName lead { id } } } }"
            " leads(first: 10) { totalCount } }"
        )
    names = [e["node"]["displayName"] for e in body["data"]["customers"]["edges"]]
    assert sorted(names) == ["Junior's", "Mate's", "Own"]
    assert all(e["node"]["lead"] is not None for e in body["data"]["customers"]["edges"])
    assert body["data"]["leads"]["totalCount"] == 3


async def test_without_a_team_the_team_scope_is_my_own_rows(gql, unicrm_state):
    await _team_role(unicrm_state)
    async with staff(unicrm_state, "solo@unicrm.test", "team_rep") as me:
        await person(unicrm_state, "Mine", owner=me.pk)
        await person(unicrm_state, "Nobody's")
        body = await me.gql("{ customers(first: 10) { edges { node { displayName } } } }")
    assert [e["node"]["displayName"] for e in body["data"]["customers"]["edges"]] == ["Mine"]


async def test_deleting_or_joining_an_unknown_team_is_an_error(gql, unicrm_state):
    dept = await department_id(unicrm_state)
    team = await make_team(gql, dept, "Inside")
    unknown = to_global_id("Team", from_global_id(dept)[1])
    deleted = (await gql(DELETE, {"id": unknown}))["data"]["teamDelete"]
    assert deleted == {"team": None, "errors": [{"code": "NOT_FOUND"}]}
    nobody = to_global_id("User", from_global_id(dept)[1])
    joined = (await gql(ADD, {"input": {"teamId": team["id"], "userId": nobody}}))["data"]
    assert codes(joined["teamMemberAdd"]) == [("userId", "NOT_FOUND")]
    nowhere = (await gql(ADD, {"input": {"teamId": unknown, "userId": nobody}}))["data"]
    assert codes(nowhere["teamMemberAdd"]) == [("teamId", "NOT_FOUND")]
    assert await count(unicrm_state, Team) == 1
    assert await count(unicrm_state, TeamMember) == 0
