"""Helpers shared by the access-control tests."""

from __future__ import annotations

import types
from pathlib import Path

from unicrm.core.config import load_settings
from unicrm.core.state import AppState, create_state
from unicrm.schema.composer import build_schema


def state_with(tmp_path: Path, *plugins: types.ModuleType) -> AppState:
    """An offline state with only ``plugins`` installed (its database is never opened)."""
    installed = {p.__name__: p for p in plugins}
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        plugins=list(installed),
        environment="test",
    )
    return create_state(settings, plugins=installed, schema_factory=build_schema)


def full_schema(state: AppState):
    """The schema of a department with every installed plugin enabled."""
    return state.schema_for(frozenset(state.registry.manifests) - {"core"})
