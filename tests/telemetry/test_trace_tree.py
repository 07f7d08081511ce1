"""One trace from a mutation to everything it sets off: the request, the GraphQL operation,
the event handler run after commit, the job that handler enqueued, and the webhook delivery,
each span a descendant of the request's."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from telemetry import traced_plugin

from unicrm.core.authz.store import load_policies
from unicrm.core.config import load_settings
from unicrm.core.events.dispatcher import dispatch_once
from unicrm.core.jobs.runtime import make_worker
from unicrm.core.state import create_state
from unicrm.core.testing.pytest_plugin import TEST_AUTH, client_for, sign_in_as
from unicrm.core.testing.servers import serve
from unicrm.schema.composer import build_schema

CREATE = """
mutation NewCustomer {
  customerCreate(input: {kind: PERSON, firstName: "Trace"}) { customer { id } }
}
"""
HOOK = """
mutation($url: String!) {
  webhookEndpointCreate(input: {url: $url, eventTypes: ["customer.created"]}) {
    errors { code }
  }
}
"""


def ancestors(span, by_id) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_mutation_its_handler_job_and_webhook_share_one_trace(
    unicrm_state, unicrm_plugins, telemetry
):
    plugins = {**unicrm_plugins, traced_plugin.NAME: traced_plugin}
    settings = load_settings(
        database_url=unicrm_state.settings.database_url,
        plugins=list(plugins),
        environment="test",
        auth=TEST_AUTH,
        webhooks={"allow_private_targets": True},
    )
    state = create_state(settings, plugins=plugins, schema_factory=build_schema)
    token = await sign_in_as(unicrm_state, "tracer@unicrm.test", "admin")
    await load_policies(state)
    received: list[str | None] = []

    async def hook(request: Request) -> PlainTextResponse:
        received.append(request.headers.get("traceparent"))
        return PlainTextResponse("ok")

    try:
        async with serve(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as base:
            async with client_for(state, token) as http:
                registered = await http.post(
                    "/graphql", json={"query": HOOK, "variables": {"url": f"{base}/hook"}}
                )
                assert registered.json()["data"]["webhookEndpointCreate"]["errors"] == []
                telemetry.exporter.clear()
                created = await http.post("/graphql", json={"query": CREATE})
                assert created.json()["data"]["customerCreate"]["customer"]["id"]
            await dispatch_once(state)
            await make_worker(state).run_due()
    finally:
        await state.db.dispose()

    request = telemetry.named("POST /graphql")
    by_id = {s.context.span_id: s for s in telemetry.spans()}
    (handler,) = [
        s
        for s in telemetry.spans()
        if s.name == "event customer.created"
        and s.attributes["unicrm.event.handler"].endswith("follow_up_later")
    ]
    job = telemetry.named("job traced.follow_up")
    webhook = telemetry.named("webhook customer.created")
    for span in (handler, job, webhook):
        assert span.context.trace_id == request.context.trace_id
        assert "POST /graphql" in ancestors(span, by_id)
    assert "mutation NewCustomer" in ancestors(handler, by_id)
    assert job.parent.span_id == handler.context.span_id
    (traceparent,) = received
    assert traceparent.split("-")[1] == format(request.context.trace_id, "032x")
    assert traced_plugin.followed_up
