"""UniCRM's own tests use the public test kit (``unicrm.core.testing``), like any plugin."""

import pytest

from unicrm.plugins.ma import plugin as ma


@pytest.fixture(scope="session")
def unicrm_plugins() -> dict[str, object]:
    return {"ma": ma}
