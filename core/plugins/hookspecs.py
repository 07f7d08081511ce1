"""The UniCRM hook contract: THE interface between core and every plugin.

Registration hooks (``plugin_manifest``, ``register_*``, ``graphql_*``, ``segment_filters``,
``customer_timeline_kinds``) are synchronous and declarative: they return data, do no I/O,
and core validates what they return at startup. Lifecycle hooks (``customer_*``,
``seed_demo_data``, ``startup``, ``shutdown``) are async and run inside the caller's
transaction when they receive a session. Every argument is keyword-only; an implementation
may take any subset of a hook's arguments.

Core registers its own contributions through these same hooks (``unicrm.core.plugin``).
Every hook is documented in docs/plugin-hooks.md and tested by ``test_hook_<name>``.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("unicrm")


@hookspec(firstresult=True)
def plugin_manifest() -> Any:
    """Return the plugin's ``PluginManifest``: name, version, title, description, requires.

    ``requires`` names other plugins that must be installed (and enabled alongside) for this
    one to work. Exactly one manifest per plugin; the name is the one used in configuration.
    """


@hookspec
def register_models() -> Any:
    """Return the modules (or a list of them) that define this plugin's SQLAlchemy tables.

    Called for every *installed* plugin, so Alembic and the test database see all tables.
    Table names are prefixed with the plugin name (``sfa_deal``).
    """


@hookspec
def register_migrations() -> Any:
    """Return ``(branch_label, versions_dir)`` for the plugin's Alembic branch.

    The branch's root revision must ``depends_on`` the core revision it references.
    """


@hookspec
def register_permissions() -> Any:
    """Return a list of ``Permission`` declarations (``sfa.deal`` with its actions)."""


@hookspec
def register_default_roles() -> Any:
    """Return a list of ``RoleGrant``s: built-in roles and the permissions they hold."""


@hookspec
def graphql_query() -> Any:
    """Return a strawberry type whose fields are merged into the root ``Query``."""


@hookspec
def graphql_mutation() -> Any:
    """Return a strawberry type whose fields are merged into the root ``Mutation``."""


@hookspec
def graphql_subscription() -> Any:
    """Return a strawberry type whose fields are merged into the root ``Subscription``."""


@hookspec
def graphql_type_fields() -> Any:
    """Return ``{"Customer": [field, ...]}``: fields this plugin adds to core types.

    Fields must be *fresh* ``StrawberryField`` objects on every call (a field object shared
    between two schemas keeps the first schema's extensions) and nullable, so a denied or
    failing plugin field never nulls its parent.
    """


@hookspec
def graphql_types() -> Any:
    """Return extra strawberry types the schema must include (interface implementations)."""


@hookspec
def graphql_loaders() -> Any:
    """Return ``{"plugin.things_by_key": factory}``; ``factory(ctx)`` builds a DataLoader.

    Loaders are built lazily, once per request; each batch opens its own short session and
    returns results in key order.
    """


@hookspec
def register_event_handlers() -> Any:
    """Return ``{event_type: async handler}``; a list of handlers per type is accepted too.

    Handlers receive ``(event, session)`` after the emitting transaction commits and must be
    idempotent by ``event.id`` (delivery is at-least-once).
    """


@hookspec
def register_jobs() -> Any:
    """Return the plugin's durable job types and periodic schedules."""


@hookspec
def register_routes() -> Any:
    """Return starlette routes the plugin serves (tracking pixels, forms, inbound webhooks)."""


@hookspec
def segment_filters() -> Any:
    """Return the ``SegmentFilter``s this plugin adds to the core segment engine.

    Each names a field (``loyalty.tier``), its value type and operators, and a
    ``compile(op, value)`` returning a boolean expression correlated to ``CUSTOMER_ID``
    (``unicrm.core.segments.filters``), so a whole filter tree stays one SQL statement.
    """


@hookspec
def register_channels() -> Any:
    """Return message channels (with their provider adapters) this plugin provides."""


@hookspec
def customer_timeline_kinds() -> Any:
    """Return the timeline entry kinds this plugin writes, as ``{kind: description}``."""


@hookspec
async def customer_merge(source_id: Any, target_id: Any, session: Any, journal: Any) -> Any:
    """Move this plugin's rows from ``source_id`` to ``target_id``, recording each move.

    Runs inside the merge transaction. ``journal.record(table, row_id, column, old, new)``
    keeps what is needed to undo the move.
    """


@hookspec
async def customer_unmerge(merge_id: Any, session: Any, journal: Any) -> Any:
    """Undo this plugin's part of the merge ``merge_id`` from its journal entries."""


@hookspec
async def customer_export(customer_id: Any, session: Any) -> Any:
    """Return ``{section: rows}``: everything this plugin holds on the customer (DSAR)."""


@hookspec
async def customer_erase(customer_id: Any, session: Any) -> Any:
    """Erase or anonymise everything this plugin holds on the customer."""


@hookspec
async def seed_demo_data(session: Any, size: int, rng: Any) -> Any:
    """Insert demo data for ``unicrm demo``; ``size`` is the number of customers."""


@hookspec
async def startup(app: Any) -> Any:
    """Called once when the server starts, after the database is reachable."""


@hookspec
async def shutdown(app: Any) -> Any:
    """Called once when the server stops."""


@hookspec(firstresult=True)
async def authenticate(request: Any) -> Any:
    """Return an actor for the request, or ``None`` to let the next plugin try (SSO)."""
