"""``unicrm db``: heads, current, upgrade, downgrade and revision, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

from cli.support import ok, one_line_error
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import Migrations, PluginManifest
from unicrm.plugins.ma import plugin as ma

BRANCHES = ("core", "ma", "sfa", "crm", "loyalty")


class Scratch:
    """A plugin whose migration branch lives in a temporary folder."""

    def __init__(self, versions: Path) -> None:
        self.versions = versions

    @hookimpl
    def plugin_manifest(self) -> PluginManifest:
        return PluginManifest(name="scratch", version="0.0.1", title="Scratch")

    @hookimpl
    def register_migrations(self) -> Migrations:
        return Migrations("scratch", str(self.versions))


def _branches(text: str) -> set[str]:
    return set(re.findall(r"\b([a-z]+)@\w+\b", text))


def test_heads_lists_one_head_per_installed_branch(unicrm):
    out = ok(unicrm("db", "heads"))
    assert _branches(out) == set(BRANCHES)
    assert len(out.split()) == len(BRANCHES)


def test_upgrade_brings_an_empty_database_to_every_head(unicrm, database_url):
    before = ok(unicrm("db", "current"))
    assert "database at base (empty)" in before
    assert "not up to date: run `unicrm db upgrade`" in before
    upgraded = ok(unicrm("db", "upgrade"))
    assert _branches(upgraded) == set(BRANCHES)
    after = ok(unicrm("db", "current"))
    assert after.splitlines()[-1] == "up to date"


def test_downgrade_of_one_branch_keeps_the_others(unicrm, migrated):
    ok(unicrm("db", "downgrade", "loyalty@base"))
    current = ok(unicrm("db", "current"))
    assert _branches(current) == set(BRANCHES) - {"loyalty"}
    assert "not up to date" in current
    assert "base (empty)" in ok(unicrm("db", "downgrade", "base"))


def test_downgrade_to_an_unknown_revision_is_one_line(unicrm, migrated):
    line = one_line_error(unicrm("db", "downgrade", "nonsense@base"))
    assert line.startswith("migration: ")
    assert "nonsense" in line


def test_commands_on_an_unmigrated_database_say_run_db_upgrade(unicrm, database_url):
    for command in (
        ["demo", "--size", "3"],
        ["users", "list"],
        ["users", "create", "--email", "a@example.com", "--name", "A"],
        ["departments", "list"],
        ["departments", "create", "sales"],
        ["schema", "export", "--department", "default"],
    ):
        assert one_line_error(unicrm(*command)) == "database not migrated: run `unicrm db upgrade`"


def test_revision_starts_a_plugin_branch_on_top_of_core(unicrm, migrated, tmp_path):
    versions = tmp_path / "scratch_versions"
    versions.mkdir()
    plugins = {"ma": ma, "scratch": Scratch(versions)}
    out = ok(
        unicrm(
            "db", "revision", "-m", "first scratch table", "--branch", "scratch", plugins=plugins
        )
    )
    written = list(versions.glob("*.py"))
    assert len(written) == 1
    assert "wrote scratch@" in out
    text = written[0].read_text()
    assert re.search(r"^branch_labels: .* = \('scratch',\)$", text, re.M)
    heads = ok(unicrm("db", "heads", plugins=plugins))
    core_head = re.search(r"core@([0-9a-f]+)", heads).group(1)
    assert re.search(rf"^depends_on: .* = '{core_head}'$", text, re.M)
    assert _branches(ok(unicrm("db", "heads", plugins=plugins))) == {"core", "ma", "scratch"}


def test_revision_on_an_unknown_branch_is_one_line(unicrm, database_url):
    line = one_line_error(unicrm("db", "revision", "-m", "x", "--branch", "nope"))
    assert line == "unknown migration branch 'nope'; branches: core, crm, loyalty, ma, sfa"
