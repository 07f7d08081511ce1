"""Our plugins pass the same contract suite a third-party plugin runs in its own repository."""

import pytest

from unicrm.core.testing.contract import *  # noqa: F403


@pytest.fixture(params=["ma", "sfa", "crm", "loyalty", "example"])
def unicrm_contract_plugin(request: pytest.FixtureRequest) -> str:
    return request.param
