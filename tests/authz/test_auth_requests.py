"""Who a request acts as and in which department (``authenticate``, ``request_department``)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from authz.auth_support import graphql, make_user, tokens
from unicrm.core.authz.admin import Editor, PolicyAdmin
from unicrm.core.authz.apikeys import create_api_key
from unicrm.core.authz.authenticate import authenticate, request_department
from unicrm.core.authz.tokens import InvalidToken
from unicrm.core.errors import Forbidden, NotFound
from unicrm.core.graph.departments.services import create_department

PROBE = "{ apiKeys { id } }"


def request_with(headers: dict[str, str], department: str | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": raw,
        "query_string": b"",
        "path_params": {"department": department} if department else {},
    }
    return Request(scope)


async def sales(state) -> None:
    async with state.db.transaction() as session:
        await create_department(
            session, state.registry, slug="sales", name="Sales", plugins=["sfa"]
        )
    state.departments.invalidate()


async def test_a_user_token_names_the_user_session_and_primary_department(
    anonymous_client, unicrm_state
):
    await sales(unicrm_state)
    user = await make_user(unicrm_state, departments=("sales",))
    issued = await tokens(anonymous_client)

    actor = await authenticate(
        request_with({"Authorization": f"Bearer {issued['accessToken']}"}), unicrm_state
    )
    department = await request_department(request_with({}), unicrm_state, actor)
    chosen = await request_department(
        request_with({"UniCRM-Department": "default"}), unicrm_state, actor
    )
    by_path = await request_department(request_with({}, "default"), unicrm_state, actor)

    assert (actor.user_id, actor.kind, actor.subject, actor.auth) == (
        user.id,
        "user",
        f"user:{user.id}",
        "password",
    )
    assert actor.session_id is not None and actor.name == "Somchai"
    assert department.slug == "sales"
    assert chosen.slug == by_path.slug == "default"


async def test_an_api_key_acts_as_itself_in_its_department_only(unicrm_state):
    await sales(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        created = await create_api_key(
            session,
            name="POS",
            department="sales",
            role="store_staff",
            created_by=None,
            admin=PolicyAdmin(unicrm_state, Editor("system")),
        )

    actor = await authenticate(
        request_with({"Authorization": f"Bearer {created.key}"}), unicrm_state
    )

    assert (actor.subject, actor.kind, actor.auth, actor.user_id) == (
        f"apikey:{created.info.id}",
        "api_key",
        "api_key",
        None,
    )
    assert (await request_department(request_with({}), unicrm_state, actor)).slug == "sales"
    with pytest.raises(Forbidden):
        await request_department(request_with({}, "default"), unicrm_state, actor)


async def test_without_a_credential_plugins_answer_first_else_anonymous(unicrm_state):
    plugin_actor = await authenticate(request_with({"X-Example-Token": "letmein"}), unicrm_state)
    nobody = await authenticate(request_with({}), unicrm_state)

    assert (plugin_actor.name, plugin_actor.kind) == ("example-bot", "api_key")
    assert (nobody.subject, nobody.kind, nobody.user_id) == ("anonymous", "anonymous", None)
    assert (await request_department(request_with({}), unicrm_state, nobody)).slug == "default"
    with pytest.raises(NotFound):
        await request_department(request_with({}, "nowhere"), unicrm_state, nobody)


async def test_a_bad_credential_is_never_downgraded_to_a_plugin_or_anonymous(
    anonymous_client, unicrm_state
):
    request = request_with({"Authorization": "Bearer nonsense", "X-Example-Token": "letmein"})
    with pytest.raises(InvalidToken):
        await authenticate(request, unicrm_state)

    response = await graphql(
        anonymous_client, PROBE, token="nonsense", headers={"X-Example-Token": "letmein"}
    )
    unknown = await graphql(anonymous_client, PROBE, path="/graphql/nowhere")

    assert response.status_code == 401
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_disabled_users_tokens_stop_working(anonymous_client, unicrm_state):
    from unicrm.core.authz import sessions
    from unicrm.core.graph.users.services import disable_user

    await make_user(unicrm_state)
    issued = await tokens(anonymous_client)
    async with unicrm_state.db.transaction() as session:
        await disable_user(session, "somchai@example.com")
    sessions._active_cache.clear()  # what another worker sees once its cache entry ages out

    assert (await graphql(anonymous_client, PROBE, token=issued["accessToken"])).status_code == 401
