"""Commands that need no database: help, configuration, plugins and schema export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from cli.support import ok, one_line_error
from unicrm.core.config import Settings
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.plugins.ma import plugin as ma

ROOT = Path(__file__).resolve().parents[2]
SDL_ALL = ROOT / "schema" / "sdl" / "all.graphql"

COMMANDS = [
    [],
    ["serve"],
    ["demo"],
    ["db"],
    ["db", "upgrade"],
    ["db", "downgrade"],
    ["db", "current"],
    ["db", "heads"],
    ["db", "revision"],
    ["plugins"],
    ["plugins", "list"],
    ["schema"],
    ["schema", "export"],
    ["schema", "manifest"],
    ["users"],
    ["users", "create"],
    ["users", "list"],
    ["users", "disable"],
    ["departments"],
    ["departments", "create"],
    ["departments", "enable"],
    ["departments", "disable"],
    ["departments", "list"],
    ["config"],
    ["config", "show"],
]


class Needy:
    """A plugin that cannot work without MA."""

    @hookimpl
    def plugin_manifest(self) -> PluginManifest:
        return PluginManifest(name="needy", version="1.0", title="Needs MA", requires=("ma",))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "unicrm")
def test_every_command_has_help(unicrm, command):
    out = ok(unicrm(*command, "--help"))
    assert "Usage:" in out


def test_config_show_prints_effective_settings_with_secrets_hidden(unicrm, monkeypatch):
    monkeypatch.setenv("UNICRM_SECRET_KEY", "s3cret-signing-key")
    monkeypatch.setenv("UNICRM_DATABASE_URL", "postgresql+asyncpg://crm:hunter2@db.example/crm")
    monkeypatch.setenv("UNICRM_TIMEZONE", "Asia/Tokyo")
    out = ok(unicrm("config", "show"))
    assert "s3cret-signing-key" not in out
    assert "hunter2" not in out
    shown = json.loads(out)
    assert shown["secret_key"] == "**********"
    assert shown["database_url"] == "postgresql+asyncpg://crm:***@db.example/crm"
    assert shown["timezone"] == "Asia/Tokyo"
    assert shown["plugins"] == ["ma", "sfa", "crm", "loyalty"]


def test_config_show_reads_unicrm_toml(unicrm, tmp_path):
    (tmp_path / "unicrm.toml").write_text('currency = "usd"\nplugins = ["ma"]\n')
    shown = json.loads(ok(unicrm("config", "show")))
    assert (shown["currency"], shown["plugins"]) == ("USD", ["ma"])


def test_bad_database_url_is_one_line_naming_the_setting(unicrm, monkeypatch):
    monkeypatch.setenv("UNICRM_DATABASE_URL", "mysql://root@localhost/crm")
    for command in (["db", "current"], ["config", "show"], ["demo"]):
        line = one_line_error(unicrm(*command))
        assert "database_url" in line
        assert "UNICRM_DATABASE_URL" in line
        assert "postgresql+asyncpg://" in line


def test_unreachable_database_is_one_line(unicrm, monkeypatch):
    monkeypatch.setenv("UNICRM_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:9/crm")
    line = one_line_error(unicrm("db", "current"))
    assert line.startswith("cannot reach the database at postgresql+asyncpg://postgres@127.0.0.1")


def test_unknown_installed_plugin_is_one_line(unicrm, monkeypatch):
    monkeypatch.setenv("UNICRM_PLUGINS", "ma,telepathy")
    line = one_line_error(unicrm("plugins", "list"))
    assert line.startswith("unknown plugin 'telepathy'; installed plugins: ")


def test_plugin_missing_its_requirement_is_one_line(unicrm):
    line = one_line_error(unicrm("schema", "export", plugins={"needy": Needy()}))
    assert line == "plugin 'needy' requires plugin 'ma', not installed"


def test_schema_export_of_an_unknown_plugin_is_one_line(unicrm):
    assert one_line_error(unicrm("schema", "export", "--plugins", "x")) == (
        "plugin 'x' is not installed"
    )


def test_schema_export_refuses_a_set_missing_a_requirement(unicrm):
    result = unicrm("schema", "export", "--plugins", "needy", plugins={"ma": ma, "needy": Needy()})
    assert one_line_error(result) == "plugin 'needy' requires plugin 'ma', not enabled"


def test_schema_export_takes_a_department_or_plugins_not_both(unicrm):
    line = one_line_error(unicrm("schema", "export", "--department", "x", "--plugins", "ma"))
    assert line == "give --department or --plugins, not both"


def test_schema_export_of_every_installed_plugin_matches_the_snapshot(unicrm):
    assert ok(unicrm("schema", "export")) == SDL_ALL.read_text(encoding="utf-8")


def test_schema_export_of_a_plugin_set_shows_only_its_fields(unicrm, tmp_path):
    marketing = ok(unicrm("schema", "export", "--plugins", "ma"))
    core_only = ok(unicrm("schema", "export", "--plugins", "core"))
    assert "type Query" in core_only
    assert "leadScore" in marketing
    assert "leadScore" not in core_only
    target = tmp_path / "ma.graphql"
    ok(unicrm("schema", "export", "-p", "ma", "--output", str(target)))
    assert target.read_text(encoding="utf-8") == marketing
    unwritable = tmp_path / "missing" / "ma.graphql"
    line = one_line_error(unicrm("schema", "export", "-p", "ma", "-o", str(unwritable)))
    assert line == f"cannot write {unwritable}: No such file or directory"


def test_plugins_list_says_when_the_database_is_not_migrated(unicrm, database_url):
    result = unicrm("plugins", "list")
    out = ok(result)
    for name in ("core", "ma", "sfa", "crm", "loyalty"):
        assert f" {name} " in out
    assert "database not migrated: run `unicrm db upgrade`" in result.stderr


def _setting_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf setting of ``model``, nested ones dotted (``limits.max_depth``)."""
    names: list[str] = []
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            names += _setting_names(field.annotation, f"{prefix}{name}.")
        else:
            names.append(prefix + name)
    return names


def test_readme_documents_every_setting_and_its_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in _setting_names(Settings):
        variable = "UNICRM_" + name.upper().replace(".", "__")
        assert f"| `{name}` | `{variable}` |" in readme, name
