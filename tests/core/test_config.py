"""Settings come from unicrm.toml and UNICRM_* variables; bad values are one clear line."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from unicrm.core.config import Environment, load_settings
from unicrm.core.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No UNICRM_* setting and no ./unicrm.toml leak in from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("UNICRM_") and not name.startswith(("UNICRM_TEST_", "UNICRM_REQUIRE")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def write(text: str) -> Path:
        path = tmp_path / "custom.toml"
        path.write_text(text)
        monkeypatch.setenv("UNICRM_CONFIG", str(path))
        return path

    return write


def test_defaults_serve_embedded_sqlite_in_bangkok_in_baht(tmp_path):
    settings = load_settings()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'data/unicrm.db'}"
    assert settings.timezone == "Asia/Bangkok"
    assert settings.currency == "THB"
    assert settings.plugins == ["ma", "sfa", "crm", "loyalty"]
    assert settings.limits.max_page_size == 100


def test_toml_file_named_by_unicrm_config_is_read(config_file):
    config_file(
        'environment = "production"\ncurrency = "usd"\nplugins = ["ma"]\n[limits]\nmax_depth = 9\n'
    )
    settings = load_settings()
    assert settings.environment is Environment.PRODUCTION
    assert settings.currency == "USD"
    assert settings.plugins == ["ma"]
    assert settings.limits.max_depth == 9
    assert settings.limits.max_aliases == 30


def test_unicrm_toml_in_the_working_directory_is_read(tmp_path):
    (tmp_path / "unicrm.toml").write_text('timezone = "Asia/Tokyo"\n')
    assert load_settings().timezone == "Asia/Tokyo"


def test_environment_variables_override_the_file(config_file, monkeypatch):
    config_file('timezone = "Asia/Tokyo"\n[limits]\nmax_depth = 9\nmax_aliases = 7\n')
    monkeypatch.setenv("UNICRM_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("UNICRM_LIMITS__MAX_DEPTH", "12")
    settings = load_settings()
    assert settings.timezone == "Europe/Berlin"
    assert settings.limits.max_depth == 12
    assert settings.limits.max_aliases == 7


def test_explicit_arguments_override_the_environment(monkeypatch):
    monkeypatch.setenv("UNICRM_ENVIRONMENT", "production")
    assert load_settings(environment="test").environment is Environment.TEST


@pytest.mark.parametrize(
    ("value", "plugins"),
    [("ma,sfa", ["ma", "sfa"]), (" ma , crm ,", ["ma", "crm"]), ('["loyalty"]', ["loyalty"])],
)
def test_plugins_variable_is_a_comma_separated_or_json_list(monkeypatch, value, plugins):
    monkeypatch.setenv("UNICRM_PLUGINS", value)
    assert load_settings().plugins == plugins


@pytest.mark.parametrize(
    ("variable", "value", "setting", "expected"),
    [
        (
            "UNICRM_DATABASE_URL",
            "mysql://root@localhost/crm",
            "database_url",
            "expected sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://",
        ),
        (
            "UNICRM_DATABASE_URL",
            "postgresql://postgres@localhost/crm",
            "database_url",
            "expected sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://",
        ),
        ("UNICRM_DATABASE_URL", "not a url", "database_url", "expected sqlite+aiosqlite://"),
        ("UNICRM_TIMEZONE", "Mars/Olympus", "timezone", "expected an IANA time zone"),
        ("UNICRM_CURRENCY", "BAHT", "currency", "expected a three-letter ISO 4217 code"),
        ("UNICRM_CURRENCY", "บาท", "currency", "expected a three-letter ISO 4217 code"),
        ("UNICRM_PLUGINS", "ma,S F A", "plugins", "expected plugin names such as ma,sfa"),
        ("UNICRM_ENVIRONMENT", "prod", "environment", "'development', 'production' or 'test'"),
        ("UNICRM_LIMITS__MAX_DEPTH", "0", "limits.max_depth", "greater than or equal to 1"),
        ("UNICRM_LIMITS__MAX_DEPTH", "deep", "limits.max_depth", "valid integer"),
        ("UNICRM_LIMITS__DEPTH", "3", "limits.depth", "unknown setting; expected one of max_depth"),
        ("UNICRM_LIMITS", "{nope", "limits", "not valid JSON"),
    ],
)
def test_bad_variable_is_one_line_naming_setting_variable_and_expected_form(
    monkeypatch, variable, value, setting, expected
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    env = "UNICRM_" + setting.upper().replace(".", "__")
    assert message.startswith(f"bad setting {setting} ({env}): ")
    assert expected in message


def test_bad_database_url_does_not_echo_its_password(monkeypatch):
    monkeypatch.setenv("UNICRM_DATABASE_URL", "mysql://root:hunter2@localhost/crm")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert "hunter2" not in str(raised.value)


def test_unknown_top_level_key_in_the_file_is_refused_with_the_known_ones(config_file):
    config_file('timezone = "Asia/Bangkok"\ntimezonee = "Asia/Tokyo"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("bad setting timezonee (UNICRM_TIMEZONEE): unknown setting")
    assert "timezone" in message.split("expected one of ")[1]


def test_bad_value_in_the_file_names_the_setting(config_file):
    config_file('currency = "thai baht"\n')
    with pytest.raises(ConfigError, match=r"bad setting currency \(UNICRM_CURRENCY\): expected"):
        load_settings()


def test_unreadable_toml_is_a_config_error(config_file):
    path = config_file("timezone = \n")
    with pytest.raises(ConfigError, match=f"bad config file {path}: .*; expected TOML"):
        load_settings()


def test_missing_config_file_named_by_unicrm_config_is_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setenv("UNICRM_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"UNICRM_CONFIG: .*missing\.toml is not a file"):
        load_settings()


def test_unrelated_unicrm_variables_are_ignored(monkeypatch):
    monkeypatch.setenv("UNICRM_SOMETHING_ELSE", "1")
    assert load_settings().currency == "THB"


def test_public_dict_hides_the_secret_key_and_the_database_password(monkeypatch):
    monkeypatch.setenv("UNICRM_SECRET_KEY", "s3cr3t-signing-key")
    monkeypatch.setenv("UNICRM_DATABASE_URL", "postgresql+asyncpg://crm:hunter2@db:5432/crm")
    public = load_settings().public_dict()
    assert public["secret_key"] == "**********"
    assert public["database_url"] == "postgresql+asyncpg://crm:***@db:5432/crm"
    assert "hunter2" not in repr(public)
    assert "s3cr3t" not in repr(public)
    assert public["limits"]["max_depth"] == 15


def test_introspection_and_graphiql_follow_the_environment_unless_set():
    development = load_settings()
    production = load_settings(environment="production")
    assert (development.introspection_enabled, development.graphiql_enabled) == (True, True)
    assert (production.introspection_enabled, production.graphiql_enabled) == (False, False)
    assert load_settings(environment="production", introspection=True).introspection_enabled
    assert not load_settings(environment="test").graphiql_enabled


def test_business_time_and_date_are_in_the_business_timezone():
    settings = load_settings()
    late_evening_utc = datetime(2024, 12, 31, 18, 30, tzinfo=UTC)
    assert settings.business_time(late_evening_utc).isoformat() == "2025-01-01T01:30:00+07:00"
    assert settings.business_date(late_evening_utc) == date(2025, 1, 1)
    assert load_settings(timezone="UTC").business_date(late_evening_utc) == date(2024, 12, 31)
    assert settings.business_time().utcoffset().total_seconds() == 7 * 3600
