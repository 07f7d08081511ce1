"""GraphQL subscriptions over WebSocket: ``/graphql`` and ``/graphql/{department}``.

The protocol is graphql-transport-ws (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md),
spoken by strawberry's ``BaseGraphQLTransportWSHandler``; a handshake without that subprotocol
(the legacy ``graphql-ws`` one, say) is closed with 4406. A browser's handshake from another
origin than the server's or one of ``cors.allow_origins`` is refused (403).

* **Authentication** happens at ``connection_init``: its payload's ``Authorization``
  (``Bearer <token or API key>``), else the upgrade request's ``Authorization`` header, goes
  through the same ``authenticate()`` as HTTP, and the department is chosen as over HTTP. A
  refused credential or department closes the socket with 4403; no ``connection_init`` within
  ``subscriptions.connection_init_timeout_seconds`` closes it with 4408.
* **Authorization** is decided before a subscription starts, from the coordinates of its
  document (``unicrm.schema.authz``): a denied root field answers ``error`` (FORBIDDEN) and
  no stream. Each event is then executed with a new ``RequestContext`` (fresh loaders, same
  actor and department) and decisions taken again, so denied nested fields are null with a
  FORBIDDEN error, masked fields are masked, and a root field denied since the start ends
  the stream with FORBIDDEN.
* Only subscriptions are served here; queries and mutations go over HTTP (rate limits,
  persisted queries and the mutation audit live there).
* **Limits:** ``subscriptions.max_per_connection`` and ``max_per_actor`` (per process), the
  department's depth, alias and token limits, and a server ``ping`` every
  ``subscriptions.keepalive_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution import Executor, create_source_event_stream
from graphql.execution.middleware import MiddlewareManager
from graphql.pyutils import is_awaitable
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.websocket_origin import normalize_origin
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from unicrm.core.audit.reads import record_sensitive_reads
from unicrm.core.authz.authenticate import authenticate, request_department
from unicrm.core.errors import Forbidden, NotFound, Unauthenticated
from unicrm.core.graph.context import Actor, RequestContext
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.state import AppState
from unicrm.schema.authz import FieldGuard, field_guard
from unicrm.schema.context import make_context
from unicrm.schema.errors import format_error
from unicrm.schema.extensions import validation_rules

SUBPROTOCOL = GRAPHQL_TRANSPORT_WS_PROTOCOL
SUBPROTOCOL_NOT_ACCEPTABLE = 4406


class ActorSubscriptions:
    """How many subscriptions each actor has open in this process."""

    def __init__(self) -> None:
        self.open: Counter[str] = Counter()

    def take(self, subject: str, limit: int) -> bool:
        if self.open[subject] >= limit:
            return False
        self.open[subject] += 1
        return True

    def release(self, subject: str) -> None:
        self.open[subject] -= 1
        if self.open[subject] <= 0:
            del self.open[subject]


@dataclass
class Connection:
    """One WebSocket connection: set up at ``connection_init``, shared by its operations."""

    state: AppState
    websocket: WebSocket
    connection_params: dict[str, Any] = field(default_factory=dict)
    actor: Actor | None = None
    department: DepartmentInfo | None = None
    schema: Any = None

    def context(self) -> RequestContext:
        """A fresh request context (new loaders and access decisions) of this connection."""
        assert self.department is not None and self.actor is not None
        return make_context(self.state, self.department, self.actor, request=self.websocket)


class _Handshake:
    """The upgrade request as ``authenticate()`` reads it, with the ``connection_init``
    payload's ``Authorization`` in place of the header when it has one."""

    def __init__(self, websocket: WebSocket, params: Mapping[str, Any]) -> None:
        headers = dict(websocket.headers)
        for key, value in params.items():
            if key.lower() == "authorization":
                headers["authorization"] = value if isinstance(value, str) else "invalid"
        self.headers = headers
        self.path_params = websocket.path_params
        self.client = websocket.client
        self.url = websocket.url


class _Refused(Exception):
    """The operation is answered with an ``error`` message and no (more) results."""

    def __init__(self, *errors: GraphQLError) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class _View:
    """What strawberry's protocol handler asks of its HTTP view: JSON and ``on_ws_connect``."""

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()

    async def on_ws_connect(self, connection: Connection) -> dict[str, Any] | None:
        state = connection.state
        handshake = _Handshake(connection.websocket, connection.connection_params)
        try:
            actor = await authenticate(handshake, state)
            department = await request_department(handshake, state, actor)
        except (Unauthenticated, Forbidden, NotFound) as exc:
            raise ConnectionRejectionError({"message": exc.message}) from None
        connection.actor = actor
        connection.department = department
        connection.schema = state.schema_for(department.plugins)
        return {"department": department.slug}


class TransportWSHandler(BaseGraphQLTransportWSHandler[Connection, None]):
    """graphql-transport-ws for UniCRM's composed schemas (see the module docstring)."""

    def __init__(
        self, websocket: WebSocket, connection: Connection, counts: ActorSubscriptions
    ) -> None:
        settings = connection.state.settings.subscriptions
        view = _View()
        super().__init__(
            view=view,  # type: ignore[arg-type]
            websocket=ASGIWebSocketAdapter(view, websocket, websocket),  # type: ignore[arg-type]
            context=connection,
            root_value=None,
            schema=None,  # type: ignore[arg-type]  # the department's, known at connection_init
            connection_init_wait_timeout=timedelta(
                seconds=settings.connection_init_timeout_seconds
            ),
            max_subscriptions_per_connection=settings.max_per_connection,
        )
        self.counts = counts
        self.keepalive: asyncio.Task[None] | None = None

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("a message must be an object with a type")
            return
        if message["type"] == "subscribe" and not _well_formed_subscribe(message):
            await self.handle_invalid_message("a subscribe message needs an id and a query")
            return
        await super().handle_message(message)  # type: ignore[arg-type]

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        interval = self.context.state.settings.subscriptions.keepalive_seconds
        if self.connection_acknowledged and interval and self.keepalive is None:
            self.keepalive = asyncio.create_task(self._ping(interval))

    async def _ping(self, interval: float) -> None:
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(interval)
                await self.send_message({"type": "ping"})

    async def handle_subscribe(self, message: Any) -> None:
        actor = self.context.actor
        if not self.connection_acknowledged or actor is None or message["id"] in self.operations:
            await super().handle_subscribe(message)
            return
        settings = self.context.state.settings.subscriptions
        if len(self.operations) >= settings.max_per_connection:
            limit, per = settings.max_per_connection, "connection"
        elif not self.counts.take(actor.subject, settings.max_per_actor):
            limit, per = settings.max_per_actor, "user"
        else:
            limit = 0
        if limit:
            error = _error(f"at most {limit} subscriptions per {per}", "TOO_MANY_SUBSCRIPTIONS")
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [format_error(error)]}
            )
            return
        await super().handle_subscribe(message)
        operation = self.operations.get(message["id"])
        if operation is None or operation.task is None:
            self.counts.release(actor.subject)
        else:
            operation.task.add_done_callback(lambda _: self.counts.release(actor.subject))

    async def run_operation(self, operation: Operation[Connection, None]) -> None:
        try:
            await self._serve(operation)
        except _Refused as refused:
            payload = [format_error(e) for e in refused.errors]
            await operation.send_operation_message(
                {"id": operation.id, "type": "error", "payload": payload}  # type: ignore[typeddict-item]
            )
            return
        except Exception as exc:  # a bug: logged with an error id, INTERNAL for the client
            error = format_error(GraphQLError(str(exc), original_error=exc))
            with contextlib.suppress(Exception):
                await operation.send_operation_message(
                    {"id": operation.id, "type": "error", "payload": [error]}  # type: ignore[typeddict-item]
                )
            return
        await operation.send_operation_message({"id": operation.id, "type": "complete"})

    async def _serve(self, operation: Operation[Connection, None]) -> None:
        connection = self.context
        document = self._document(operation)
        ctx = connection.context()
        self._guard(ctx, document, operation)
        schema = connection.schema._schema
        executor = Executor.build(
            schema,
            document,
            context_value=ctx,
            raw_variable_values=operation.variables,
            operation_name=operation.operation_name,
        )
        if isinstance(executor, list):
            raise _Refused(*executor)
        stream = create_source_event_stream(executor)
        if is_awaitable(stream):
            stream = await stream
        if isinstance(stream, ExecutionResult):
            raise _Refused(*(stream.errors or [_error("cannot subscribe", "BAD_REQUEST")]))
        async with _closing(stream) as events:
            while True:
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    return
                except GraphQLError as exc:
                    raise _Refused(exc) from None
                except Exception as exc:  # a resolver's DomainError/ApiError, or a bug
                    raise _Refused(GraphQLError(str(exc), original_error=exc)) from None
                payload = await self._execute(document, operation, event)
                await operation.send_operation_message(
                    {"id": operation.id, "type": "next", "payload": payload}  # type: ignore[typeddict-item]
                )

    def _document(self, operation: Operation[Connection, None]) -> DocumentNode:
        """The parsed, validated subscription document of ``operation``."""
        connection = self.context
        settings = connection.state.settings
        assert connection.department is not None
        limits = settings.limits_for(connection.department.slug)
        if operation.variables is not None and not isinstance(operation.variables, dict):
            raise _Refused(_error("variables must be a JSON object", "BAD_REQUEST"))
        try:
            document = parse(operation.query, max_tokens=limits.max_tokens)
        except GraphQLError as exc:
            raise _Refused(exc) from None
        rules = validation_rules(
            limits.max_depth, limits.max_aliases, settings.introspection_enabled
        )
        errors = validate(connection.schema._schema, document, (*specified_rules, *rules))
        if errors:
            raise _Refused(*errors)
        definition = get_operation_ast(document, operation.operation_name)
        if definition is None:
            name = operation.operation_name
            message = f"unknown operation {name!r}" if name else "give an operationName"
            raise _Refused(_error(message, "BAD_REQUEST"))
        if definition.operation is not OperationType.SUBSCRIPTION:
            message = "only subscriptions are served over WebSocket; send this over HTTP"
            raise _Refused(_error(message, "BAD_REQUEST"))
        return document

    def _guard(
        self, ctx: RequestContext, document: DocumentNode, operation: Operation[Connection, None]
    ) -> FieldGuard | None:
        """The field guard of this event (or of the start); FORBIDDEN if a root is denied."""
        guard = field_guard(
            self.context.schema.requirements,
            ctx.access,  # type: ignore[arg-type]  # a WebSocket actor is never the system
            document,
            operation.query,
            operation.operation_name,
            audit_sensitive=ctx.settings.audit.sensitive_reads,
        )
        if guard is not None:
            roots = sorted(c for c in guard.denied if c.startswith("Subscription."))
            if roots:
                raise _Refused(_error(f"not allowed to read {roots[0]}", "FORBIDDEN"))
        return guard

    async def _execute(
        self, document: DocumentNode, operation: Operation[Connection, None], event: Any
    ) -> dict[str, Any]:
        """One event, resolved with a fresh context and the decisions of this moment."""
        ctx = self.context.context()
        guard = self._guard(ctx, document, operation)
        executor = Executor.build(
            self.context.schema._schema,
            document,
            root_value=event,
            context_value=ctx,
            raw_variable_values=operation.variables,
            operation_name=operation.operation_name,
            middleware=MiddlewareManager(guard) if guard is not None else None,
        )
        if isinstance(executor, list):
            raise _Refused(*executor)
        result = executor.execute_operation()
        if is_awaitable(result):
            result = await result
        if guard is not None and guard.reads:
            await record_sensitive_reads(ctx, operation.operation_name, guard.reads)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [format_error(e) for e in result.errors]
        return payload

    async def shutdown(self) -> None:
        if self.keepalive is not None:
            self.keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.keepalive
        await super().shutdown()


def _well_formed_subscribe(message: dict[str, Any]) -> bool:
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and bool(message["id"])
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and (payload.get("operationName") is None or isinstance(payload["operationName"], str))
    )


@contextlib.asynccontextmanager
async def _closing(stream: Any) -> AsyncIterator[Any]:
    iterator = aiter(stream)
    try:
        yield iterator
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """Non-browser clients send no ``Origin``; a browser's must be the server's own or one
    of ``cors.allow_origins`` (cross-site WebSocket hijacking)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    normalized = normalize_origin(origin)
    if normalized is None:
        return False
    host = websocket.headers.get("host", "")
    if normalized.partition("://")[2] == host.lower():
        return True
    return "*" in allowed or normalized in {normalize_origin(o) for o in allowed}


async def graphql_ws_endpoint(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.unicrm
    if not origin_allowed(websocket, state.settings.cors.allow_origins):
        await websocket.close(code=1008)  # before accepting: the handshake is refused, 403
        return
    if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
        await websocket.accept()
        await websocket.close(SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
        return
    await websocket.accept(subprotocol=SUBPROTOCOL)
    handler = TransportWSHandler(
        websocket, Connection(state, websocket), websocket.app.state.subscriptions
    )
    await handler.handle()
