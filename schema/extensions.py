"""Schema extensions UniCRM adds to strawberry's own (caches and limits)."""

from __future__ import annotations

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules


class DisableIntrospection(AddValidationRules):
    """Rejects ``__schema``/``__type`` queries (production, unless enabled in settings)."""

    def __init__(self) -> None:
        super().__init__([NoSchemaIntrospectionCustomRule])
