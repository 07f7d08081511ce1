"""The SDL of each named preset is kept in schema/sdl/ and must match the composed schema.

After an intended schema change, regenerate every snapshot with one command:

    UNICRM_UPDATE_SNAPSHOTS=1 .venv/bin/pytest -q tests/schema/test_sdl_snapshots.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from unicrm.core.config import BUILTIN_PLUGINS
from unicrm.schema.composer import build_schema

SDL_DIR = Path(__file__).resolve().parents[2] / "schema" / "sdl"
UPDATE_ENV = "UNICRM_UPDATE_SNAPSHOTS"
PRESETS = {
    "all": BUILTIN_PLUGINS,
    "core": (),
    "sales": ("sfa",),
    "marketing": ("ma",),
}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_sdl_snapshot_is_up_to_date(offline_state, preset):
    actual = build_schema(offline_state, frozenset(PRESETS[preset])).as_str() + "\n"
    path = SDL_DIR / f"{preset}.graphql"
    if os.environ.get(UPDATE_ENV) == "1":
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"schema/sdl/{preset}.graphql (snapshot)",
                tofile=f"{preset} (composed now)",
            )
        )
        pytest.fail(
            f"schema/sdl/{preset}.graphql is out of date. If the change is intended, run\n"
            f"    {UPDATE_ENV}=1 .venv/bin/pytest -q tests/schema/test_sdl_snapshots.py\n"
            f"and commit the snapshots.\n\n{diff}",
            pytrace=False,
        )
