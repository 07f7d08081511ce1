"""UniCRM's own tests use the public test kit (``unicrm.core.testing``), like any plugin.

Every database test runs with the four built-in plugins plus ``example``, a plugin that lives
in the tests (tests/plugins/example_plugin.py) and implements every hook.
"""

import os
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
from executor.support import record_differences

from plugins import example_plugin
from unicrm.core.config import BUILTIN_PLUGINS, load_settings
from unicrm.core.state import AppState, create_state
from unicrm.schema.composer import build_schema


@pytest.fixture(scope="session")
def unicrm_plugins() -> dict[str, object]:
    builtins = {name: import_module(f"unicrm.plugins.{name}.plugin") for name in BUILTIN_PLUGINS}
    return {**builtins, example_plugin.NAME: example_plugin}


@pytest.fixture(scope="session")
def offline_state(
    unicrm_plugins: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> AppState:
    """The process state of the test plugins, for tests that never open its database
    (composing schemas, reading the registry); unlike ``unicrm_state`` it runs once."""
    unused = tmp_path_factory.mktemp("offline") / "unused.db"
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{unused}",
        plugins=list(unicrm_plugins),
        environment="test",
    )
    return create_state(settings, plugins=unicrm_plugins, schema_factory=build_schema)


@pytest.fixture(autouse=True, scope="session")
def differential_executors() -> Iterator[None]:
    """With ``UNICRM_DIFFERENTIAL=<file>``, every query the suite sends that the compiled
    executor runs is run again through strawberry's execution, and each difference (data
    and errors, key order included) is appended to ``<file>`` as a JSON line. Statement
    counts and audit-log counts double in this mode; it is for finding differences."""
    target = os.environ.get("UNICRM_DIFFERENTIAL")
    if not target:
        yield
        return
    with record_differences(Path(target)):
        yield
