"""The index of core's aggregates: their models, root fields, fields on Customer and loaders.

A new core aggregate is added here once, and core's hook implementations pick it up.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from strawberry.tools import merge_types

AGGREGATES = (
    "departments",
    "users",
    "viewer",
    "auth",
    "customers",
    "relationships",
    "contacts",
    "identities",
    "consents",
    "tags",
    "attributes",
    "products",
    "orders",
    "stores",
    "invoices",
    "bookings",
    "assets",
    "contracts",
    "preferences",
    "timeline",
    "search",
    "merge",
    "access",
    "events",
    "webhooks",
    "teams",
    "leads",
    "notifications",
    "subscriptions",
)
"""Core aggregate packages under ``unicrm.core.graph``, in foreign-key order."""

EXTRA_MODEL_MODULES = (
    "unicrm.core.events.models",
    "unicrm.core.events.ingest_models",
    "unicrm.core.audit.models",
    "unicrm.core.authz.models",
    "unicrm.core.authz.policy_models",
    "unicrm.core.authz.oidc_models",
    "unicrm.core.webhooks.models",
)
EXTRA_QUERY_MODULES = ("unicrm.core.audit.queries",)
"""Core packages outside ``unicrm.core.graph`` with tables or root query fields."""

CORE_PACKAGES = ("unicrm.core.jobs", "unicrm.core.messaging", "unicrm.core.segments")
"""Core packages outside ``graph`` laid out like an aggregate (models, queries, mutations,
loaders); named in full."""


def _optional(package: str, module: str) -> ModuleType | None:
    prefix = package if package in CORE_PACKAGES else f"unicrm.core.graph.{package}"
    name = f"{prefix}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not name.startswith(exc.name):
            raise  # a module the aggregate imports is missing: a real error
        return None


def model_modules() -> list[ModuleType]:
    """Every core model module; importing them puts their tables on ``Base.metadata``."""
    found = [_optional(a, "models") for a in AGGREGATES + CORE_PACKAGES]
    found += [importlib.import_module(m) for m in EXTRA_MODEL_MODULES]
    return [m for m in found if m is not None]


def _roots(module: str, attr: str) -> list[type]:
    roots = []
    for aggregate in AGGREGATES + CORE_PACKAGES:
        mod = _optional(aggregate, module)
        if mod is not None and hasattr(mod, attr):
            roots.append(getattr(mod, attr))
    return roots


def query() -> type:
    extra = [importlib.import_module(m).QUERY for m in EXTRA_QUERY_MODULES]
    return merge_types("CoreQuery", (*_roots("queries", "QUERY"), *extra))


def mutation() -> type:
    return merge_types("CoreMutation", tuple(_roots("mutations", "MUTATION")))


def subscription() -> type:
    return merge_types("CoreSubscription", tuple(_roots("subscriptions", "SUBSCRIPTION")))


def type_fields() -> dict[str, list[Any]]:
    """Fresh fields each aggregate adds to core types (``FIELDS()`` in its ``fields`` module)."""
    out: dict[str, list[Any]] = {}
    for aggregate in AGGREGATES + CORE_PACKAGES:
        mod = _optional(aggregate, "fields")
        if mod is not None:
            for type_name, fields in mod.FIELDS().items():
                out.setdefault(type_name, []).extend(fields)
    return out


def loaders() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for aggregate in AGGREGATES + CORE_PACKAGES:
        mod = _optional(aggregate, "loaders")
        if mod is not None:
            out.update(mod.LOADERS)
    return out


def privacy_modules() -> list[ModuleType]:
    """Aggregates whose customer data needs more than the merge's automatic move: their
    ``privacy`` module's ``export`` and ``erase`` serve core's DSAR export and erasure."""
    found = [_optional(a, "privacy") for a in AGGREGATES + CORE_PACKAGES]
    return [m for m in found if m is not None]
