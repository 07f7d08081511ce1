"""Every field of the composed schemas declares how it loads, so no query of a frontend falls
back to strawberry's per-field execution because of a field someone forgot to declare."""

from unicrm.core.config import BUILTIN_PLUGINS
from unicrm.schema.composer import build_schema


def test_every_core_field_is_planned(offline_state):
    composed = build_schema(offline_state, frozenset())
    assert composed.executor is not None
    assert composed.executor.compiler.undeclared() == []


def test_every_field_with_all_plugins_is_planned(offline_state):
    composed = build_schema(offline_state, frozenset(BUILTIN_PLUGINS))
    assert composed.executor is not None
    assert composed.executor.compiler.undeclared() == []
