"""What a request may use of the segment engine: the filters of its department's plugins and,
among them, those on data its actor may read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from unicrm.core.segments.compile import Catalog
from unicrm.core.segments.filters import SegmentFilter


def catalog_for(ctx: Any) -> Catalog:
    """Core's filters and those of the plugins the request's department enables."""
    return Catalog.for_plugins(ctx.state.registry, ctx.department.plugins)


def allowed_for(ctx: Any) -> Callable[[SegmentFilter], bool]:
    """Whether the actor may filter on a field: read access to its ``permission`` in some
    scope. Filtering on data one may not read would reveal it, one count at a time."""
    access = getattr(ctx, "access", None)

    def allowed(f: SegmentFilter) -> bool:
        return (
            access is None or f.permission is None or access.scope(f.permission, "read") is not None
        )

    return allowed
