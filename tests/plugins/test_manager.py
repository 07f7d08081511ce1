"""A broken plugin set fails at startup with a message naming the plugin, never later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import strawberry

from unicrm.core.config import load_settings
from unicrm.core.errors import PluginError
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.core.plugins.manager import build_manager
from unicrm.core.plugins.registry import build_registry
from unicrm.core.state import AppState, create_state
from unicrm.plugins.sfa import plugin as sfa
from unicrm.schema.composer import build_schema


class FakePlugin:
    """A plugin made to measure: a manifest, and optionally root fields and Customer fields."""

    def __init__(
        self,
        name: str,
        *,
        requires: tuple[str, ...] = (),
        query: type | None = None,
        customer_fields: Any = None,
    ) -> None:
        self.name = name
        self.requires = requires
        self.query = query
        self.customer_fields = customer_fields

    @hookimpl
    def plugin_manifest(self) -> PluginManifest:
        return PluginManifest(name=self.name, version="1", title=self.name, requires=self.requires)

    @hookimpl
    def graphql_query(self) -> type | None:
        return self.query

    @hookimpl
    def graphql_type_fields(self) -> dict[str, list[Any]] | None:
        return None if self.customer_fields is None else {"Customer": self.customer_fields()}


class Misspelled:
    @hookimpl
    def plugin_manifest(self) -> PluginManifest:
        return PluginManifest(name="typo", version="1", title="Typo")

    @hookimpl
    def register_permisions(self) -> list[Any]:
        return []


def state_with(tmp_path: Path, plugins: dict[str, object]) -> AppState:
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        plugins=list(plugins),
        environment="test",
    )
    return create_state(settings, plugins=plugins, schema_factory=build_schema)


def score_field(nullable: bool) -> Any:
    def fields() -> list[Any]:
        if nullable:

            def score(root: Any) -> int | None:
                return 1

        else:

            def score(root: Any) -> int:
                return 1

        return [strawberry.field(resolver=score)]

    return fields


def test_registering_one_plugin_under_two_names_is_a_startup_error():
    with pytest.raises(PluginError, match="'sfa2' is registered twice"):
        build_manager({"sfa": sfa, "sfa2": sfa})


def test_a_plugin_taking_the_name_core_is_a_startup_error():
    with pytest.raises(PluginError, match="'core' is registered twice"):
        build_manager({"core": FakePlugin("core")})


def test_two_plugins_claiming_the_same_name_fail_on_the_manifest():
    manager = build_manager({"sfa": sfa, "sfa_copy": FakePlugin("sfa")})

    with pytest.raises(PluginError, match="registered as 'sfa_copy' declares the name 'sfa'"):
        build_registry(manager)


def test_manifest_name_must_match_the_registered_name():
    manager = build_manager({"reports": FakePlugin("reporting")})

    with pytest.raises(PluginError, match="'reports' declares the name 'reporting'"):
        build_registry(manager)


def test_a_plugin_without_manifest_is_a_startup_error():
    class Anonymous:
        @hookimpl
        def register_jobs(self) -> list[Any]:
            return []

    with pytest.raises(PluginError, match="'anonymous' has no plugin_manifest"):
        build_registry(build_manager({"anonymous": Anonymous()}))


def test_a_missing_required_plugin_is_a_startup_error():
    manager = build_manager({"reports": FakePlugin("reports", requires=("sfa",))})

    with pytest.raises(PluginError, match="'reports' requires plugin 'sfa', not installed"):
        build_registry(manager)


def test_a_department_enabling_a_plugin_without_its_requirement_is_rejected():
    registry = build_registry(
        build_manager({"sfa": sfa, "reports": FakePlugin("reports", requires=("sfa",))})
    )

    assert registry.check_enabled(["sfa", "reports"]) == {"sfa", "reports"}
    with pytest.raises(PluginError, match="'reports' requires plugin 'sfa', not enabled"):
        registry.check_enabled(["reports"])


def test_a_misspelled_hook_is_a_startup_error_naming_plugin_and_hook():
    with pytest.raises(PluginError, match=r"plugin 'typo'.*register_permisions"):
        build_manager({"typo": Misspelled()})


def test_the_same_customer_field_from_two_plugins_names_both(tmp_path):
    state = state_with(
        tmp_path,
        {
            "alpha": FakePlugin("alpha", customer_fields=score_field(nullable=True)),
            "beta": FakePlugin("beta", customer_fields=score_field(nullable=True)),
        },
    )

    with pytest.raises(PluginError, match=r"Customer.score is contributed by 'alpha' and 'beta'"):
        build_schema(state, frozenset({"alpha", "beta"}))
    assert "score" in str(build_schema(state, frozenset({"alpha"})))


def test_a_plugin_root_field_clashing_with_another_plugin_names_both(tmp_path):
    @strawberry.type
    class ClashQuery:
        deals: int = 0

    state = state_with(tmp_path, {"sfa": sfa, "clash": FakePlugin("clash", query=ClashQuery)})

    with pytest.raises(PluginError, match=r"Query.deals is contributed by 'sfa' and 'clash'"):
        build_schema(state, frozenset({"sfa", "clash"}))


def test_a_plugin_redefining_a_core_root_field_names_core(tmp_path):
    @strawberry.type
    class ShadowQuery:
        customers: int = 0

    state = state_with(tmp_path, {"shadow": FakePlugin("shadow", query=ShadowQuery)})

    with pytest.raises(PluginError, match=r"Query.customers is contributed by 'core' and 'shadow'"):
        build_schema(state, frozenset({"shadow"}))


def test_a_non_nullable_plugin_field_on_customer_is_a_startup_error(tmp_path):
    state = state_with(
        tmp_path, {"strict": FakePlugin("strict", customer_fields=score_field(nullable=False))}
    )

    with pytest.raises(PluginError, match=r"'strict': field Customer.score must be nullable"):
        build_schema(state, frozenset({"strict"}))
