"""The starlette application: /graphql[/{department}] (HTTP, and WebSocket for
subscriptions), /auth/token, /auth/oidc/*, /messaging/*, /events, /healthz, /readyz and plugin routes.

This module and ``unicrm.core.cli`` are the composition root: the only core modules that
import the schema layer, to hand its composer to the process state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from unicrm.core.authz import oidc_routes
from unicrm.core.authz import routes as auth_routes
from unicrm.core.authz.lifecycle import start_policies, stop_policies
from unicrm.core.authz.tokens import check_startup
from unicrm.core.config import Settings, get_settings
from unicrm.core.events import ingest_routes
from unicrm.core.events.dispatcher import run_dispatcher
from unicrm.core.jobs.runtime import EmbeddedJobs, embedded_enabled
from unicrm.core.messaging import routes as messaging_routes
from unicrm.core.migrations.runner import is_migrated
from unicrm.core.state import AppState, create_state
from unicrm.core.telemetry import bind_gauges, setup_telemetry, shutdown_telemetry, unbind_gauges
from unicrm.core.telemetry.asgi import TelemetryMiddleware
from unicrm.core.telemetry.logs import configure_logging

log = logging.getLogger("unicrm.app")


READY_TIMEOUT_SECONDS = 5.0


async def healthz(request: Request) -> Response:
    """The process is up and serving; says nothing about the database."""
    return JSONResponse({"status": "ok"})


async def _unready(state: AppState) -> str | None:
    """Why this process cannot serve traffic yet, or None when it can."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await state.db.ping()
    except Exception as exc:  # any driver error or a timeout means "not ready"
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return "database unreachable"
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            migrated = await is_migrated(state.db, state.registry)
    except Exception:
        log.exception("readiness: cannot read the migration state")
        return "migration state unknown"
    return None if migrated else "database not migrated"


async def readyz(request: Request) -> Response:
    """200 when the database is reachable and at every migration head, else 503 and why."""
    reason = await _unready(request.app.state.unicrm)
    if reason is not None:
        return JSONResponse({"status": "unavailable", "reason": reason}, 503)
    return JSONResponse({"status": "ok"})


CORS_METHODS = ("GET", "POST")
CORS_HEADERS = ("Authorization", "Content-Type", "UniCRM-Department")
CORS_MAX_AGE_SECONDS = 600


def cors_middleware(settings: Settings) -> list[Middleware]:
    """CORS for the origins of ``cors.allow_origins``; none configured, no CORS headers."""
    origins = settings.cors.allow_origins
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=("Retry-After",),
            max_age=CORS_MAX_AGE_SECONDS,
        )
    ]


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> Starlette:
    from unicrm.schema.composer import build_schema
    from unicrm.schema.http import graphql_endpoint
    from unicrm.schema.persisted import PersistedQueries
    from unicrm.schema.ws import ActorSubscriptions, graphql_ws_endpoint

    if state is None:
        settings = settings or get_settings()
        check_startup(settings)
        state = create_state(settings, schema_factory=build_schema)
    elif state.schema_factory is None:
        state.schema_factory = build_schema

    configure_logging(state.settings.log_format, state.settings.log_level)
    setup_telemetry()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        Route("/graphql/{department}", graphql_endpoint, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_ws_endpoint),
        WebSocketRoute("/graphql/{department}", graphql_ws_endpoint),
    ]
    routes.extend(auth_routes.ROUTES)
    routes.extend(oidc_routes.routes(state))
    routes.extend(messaging_routes.ROUTES)
    routes.extend(ingest_routes.ROUTES)
    for plugin_routes in state.registry.routes.values():
        routes.extend(plugin_routes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await start_policies(state)
        await state.manager.acall("startup", app=app)
        bind_gauges(state.db)
        await state.events.start()
        stop = asyncio.Event()
        dispatcher = (
            asyncio.create_task(run_dispatcher(state, stop))
            if state.settings.events.dispatcher_in_server
            else None
        )
        jobs = EmbeddedJobs.start(state) if embedded_enabled(state) else None
        try:
            yield
        finally:
            if jobs is not None:
                await jobs.close()
            stop.set()
            if dispatcher is not None:
                await dispatcher
            await state.events.fanout.close()
            await state.events.close()
            unbind_gauges()
            await state.manager.acall("shutdown", app=app)
            await stop_policies(state)
            await state.rate_limiter.close()
            await state.db.dispose()
            shutdown_telemetry()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(TelemetryMiddleware), *cors_middleware(state.settings)],
    )
    app.state.unicrm = state
    app.state.persisted_queries = PersistedQueries.of(state.settings)
    app.state.subscriptions = ActorSubscriptions()
    return app
