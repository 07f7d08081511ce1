"""Random queries from a schema: selections, aliases, inline and named fragments (also on
interfaces and unions), ``__typename`` and ``@skip``/``@include`` with variables."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)

Allowed = Callable[[str, str, GraphQLField], bool]


def _without_required_arguments(type_name: str, field_name: str, field: GraphQLField) -> bool:
    return not any(
        is_non_null_type(a.type) and a.default_value is None for a in field.args.values()
    )


class QueryGenerator:
    def __init__(
        self, schema: GraphQLSchema, rng: random.Random, allowed: Allowed | None = None
    ) -> None:
        self.schema = schema
        self.rng = rng
        self.allowed = allowed or _without_required_arguments
        self.fragments: list[str] = []
        self.variables: dict[str, bool] = {}

    def _directive(self) -> str:
        roll = self.rng.random()
        if roll > 0.2:
            return ""
        name = f"v{len(self.variables)}"
        self.variables[name] = self.rng.random() < 0.5
        return f" @{'skip' if roll < 0.1 else 'include'}(if: ${name})"

    def _fields(self, type_name: str) -> list[tuple[str, GraphQLField]]:
        named = self.schema.get_type(type_name)
        return [
            (name, field)
            for name, field in named.fields.items()  # type: ignore[union-attr]
            if self.allowed(type_name, name, field)
        ]

    def selection(self, type_name: str, depth: int) -> str:
        """A selection set of ``type_name`` (an object, interface or union type)."""
        named = self.schema.get_type(type_name)
        parts: list[str] = []
        if self.rng.random() < 0.3:
            parts.append("__typename")
        if is_abstract_type(named):
            for possible in self.schema.get_possible_types(named):  # type: ignore[arg-type]
                if self.rng.random() < 0.6:
                    parts.append(self._fragment(possible.name, depth))
            if not is_object_type(named) and hasattr(named, "fields"):
                parts += self._field_parts(type_name, depth)
        else:
            parts += self._field_parts(type_name, depth)
            if self.rng.random() < 0.2:
                parts.append(self._fragment(type_name, depth))
        if not parts:
            parts.append("__typename")
        return "{ " + " ".join(parts) + " }"

    def _fragment(self, type_name: str, depth: int) -> str:
        inner = self.selection(type_name, depth)
        if self.rng.random() < 0.5:
            return f"... on {type_name}{self._directive()} {inner}"
        name = f"F{len(self.fragments)}"
        self.fragments.append(f"fragment {name} on {type_name} {inner}")
        return f"...{name}{self._directive()}"

    def _field_parts(self, type_name: str, depth: int) -> list[str]:
        fields = self._fields(type_name)
        if not fields:
            return []
        chosen = self.rng.sample(fields, k=self.rng.randint(1, min(4, len(fields))))
        parts = []
        for name, field in chosen:
            inner_type = get_named_type(field.type)
            if not is_leaf_type(inner_type):
                if depth <= 0:
                    continue
                sub = self.selection(inner_type.name, depth - 1)
            else:
                sub = ""
            alias = f"a{self.rng.randint(0, 3)}_{name}: " if self.rng.random() < 0.25 else ""
            parts.append(f"{alias}{name}{self._directive()} {sub}".rstrip())
        return parts

    def query(self, root: str, depth: int = 3) -> tuple[str, dict[str, Any]]:
        """A query over ``root`` (e.g. ``customer(id: $id)``) of the root field's type."""
        field_name = root.split("(")[0]
        field = self.schema.query_type.fields[field_name]  # type: ignore[union-attr]
        body = self.selection(get_named_type(field.type).name, depth)
        declared = [f"${name}: Boolean!" for name in self.variables]
        if "$id" in root:
            declared.insert(0, "$id: ID!")
        head = f"query Q({', '.join(declared)})" if declared else "query Q"
        text = f"{head} {{ {root} {body} }}\n" + "\n".join(self.fragments)
        return text, dict(self.variables)
