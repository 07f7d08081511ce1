"""Settings, read from ``unicrm.toml`` and ``UNICRM_*`` environment variables.

Environment variables win over the file. Nested settings use a double underscore,
e.g. ``UNICRM_LIMITS__MAX_DEPTH=12``; lists are comma-separated, e.g. ``UNICRM_PLUGINS=ma,sfa``.
The file is ``./unicrm.toml`` unless ``UNICRM_CONFIG`` names another one (which must exist).
A bad value is one ``ConfigError`` line naming the setting, its variable and the expected form.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.exceptions import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from unicrm.core.db.types import utcnow
from unicrm.core.errors import ConfigError

BUILTIN_PLUGINS = ("ma", "sfa", "crm", "loyalty")
ENV_PREFIX = "UNICRM_"
CONFIG_ENV = "UNICRM_CONFIG"
DATABASE_URL_FORM = (
    "sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user:password@host:port/database"
)
PLUGINS_FORM = "plugin names such as ma,sfa,crm,loyalty"
_PLUGIN_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_WEB_ADDRESS = re.compile(r"https?://[^/?#\s]+[^?#\s]*\Z")


class LogFormat(StrEnum):
    PLAIN = "plain"
    JSON = "json"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class Limits(BaseModel):
    """Request limits; every one protects the server from a costly or hostile request."""

    model_config = ConfigDict(extra="forbid")

    max_depth: int = Field(default=15, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5000, ge=10)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)


class AuthSettings(BaseModel):
    """Sign-in, tokens and throttling (docs/authentication.md)."""

    model_config = ConfigDict(extra="forbid")

    signing_keys: dict[str, SecretStr] = Field(default_factory=dict)
    active_kid: str | None = None
    issuer: str = "unicrm"
    audience: str = "unicrm"
    access_token_minutes: int = Field(default=15, ge=1, le=1440)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    session_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    max_failures_per_account: int = Field(default=5, ge=1)
    max_failures_per_address: int = Field(default=20, ge=1)
    failure_window_seconds: int = Field(default=900, ge=1)
    lockout_seconds: int = Field(default=900, ge=1)


def _comma_list(value: Any, form: str) -> Any:
    """``"a, b"`` → ``["a", "b"]``; a JSON list string is decoded; lists pass through."""
    if isinstance(value, str):
        if value.strip().startswith("["):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                raise ValueError(f"expected {form}") from None
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class OidcSettings(BaseModel):
    """OpenID Connect single sign-on (docs/single-sign-on.md); off unless ``enabled``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    issuer: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    redirect_uri: str = ""
    scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["openid", "email", "profile"]
    )
    department: str = ""
    role: str = ""
    allowed_domains: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("scopes", "allowed_domains", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _comma_list(value, "a comma-separated list")

    @field_validator("issuer", "redirect_uri")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if value and not _WEB_ADDRESS.match(value):
            raise ValueError("expected an absolute http(s) URL without query or fragment")
        return value

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("expected a list of scopes that includes openid")
        return list(dict.fromkeys(value))

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(d.strip().lower().lstrip("@") for d in value))

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> OidcSettings:
        if self.enabled:
            for name in ("issuer", "client_id", "redirect_uri"):
                if not getattr(self, name):
                    raise ValueError(f"{name} is required when single sign-on is enabled")
        return self


class EventSettings(BaseModel):
    """Delivery of domain events to handlers (docs/events.md)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=10, ge=1)
    backoff_base_seconds: float = Field(default=5.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    poll_interval_seconds: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=100, ge=1)
    dispatcher_in_server: bool = True


class WebhookSettings(BaseModel):
    """Outbound webhooks (docs/webhooks.md)."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=30.0, gt=0)
    backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    disable_after_failures: int = Field(default=20, ge=1)
    allow_private_targets: bool = False
    concurrency: int = Field(default=10, ge=1)


class JobSettings(BaseModel):
    """Durable jobs (docs/jobs.md)."""

    model_config = ConfigDict(extra="forbid")

    embedded: bool | None = Field(
        default=None, description="Run a worker in the server; default: on with SQLite only."
    )
    concurrency: int = Field(default=4, ge=1, le=256)
    poll_seconds: float = Field(default=1.0, gt=0, le=60)
    lease_seconds: float = Field(default=60.0, ge=1)
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)


def _config_file() -> Path:
    return Path(os.environ.get(CONFIG_ENV, "unicrm.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid"
    )

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("data")
    database_url: str = ""
    plugins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(BUILTIN_PLUGINS))
    timezone: str = "Asia/Bangkok"
    currency: str = "THB"
    default_department: str = "default"
    secret_key: SecretStr = SecretStr("change-me-in-production")
    introspection: bool | None = None
    graphiql: bool | None = None
    limits: Limits = Field(default_factory=Limits)
    log_format: LogFormat = LogFormat.PLAIN
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    auth: AuthSettings = Field(default_factory=AuthSettings)
    redis_url: str = ""
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"expected {DATABASE_URL_FORM}") from None
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg") or (
            url.drivername.startswith("postgresql") and not (url.host and url.database)
        ):
            raise ValueError(f"expected {DATABASE_URL_FORM}")
        return value

    @field_validator("plugins", mode="before")
    @classmethod
    def _plugin_list(cls, value: Any) -> Any:
        return _comma_list(value, PLUGINS_FORM)

    @field_validator("plugins")
    @classmethod
    def _plugin_names(cls, value: list[str]) -> list[str]:
        if not all(_PLUGIN_NAME.match(name) for name in value):
            raise ValueError(f"expected {PLUGINS_FORM}")
        return list(dict.fromkeys(value))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Asia/Bangkok") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if len(value) != 3 or not (value.isascii() and value.isalpha()):
            raise ValueError("expected a three-letter ISO 4217 code such as THB")
        return value.upper()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'unicrm.db').resolve()}"

    @property
    def zone(self) -> ZoneInfo:
        """The business time zone: birthdays, working hours, quiet hours, per-day rules."""
        return ZoneInfo(self.timezone)

    def business_time(self, moment: datetime | None = None) -> datetime:
        """``moment`` (an aware datetime, default now) as a wall-clock time in ``zone``."""
        return (moment or utcnow()).astimezone(self.zone)

    def business_date(self, moment: datetime | None = None) -> date:
        """The business day ``moment`` (default now) falls on."""
        return self.business_time(moment).date()

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def introspection_enabled(self) -> bool:
        return not self.is_production if self.introspection is None else self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        return (
            self.environment is Environment.DEVELOPMENT if self.graphiql is None else self.graphiql
        )

    def public_dict(self) -> dict[str, Any]:
        """The effective settings with secrets hidden, for ``unicrm config show``."""
        data = self.model_dump(mode="json")
        data["secret_key"] = "**********"
        data["database_url"] = make_url(self.effective_database_url).render_as_string(
            hide_password=True
        )
        return data


def _names(loc: tuple[Any, ...]) -> tuple[str, str]:
    """A setting's dotted name and environment variable, from a pydantic error location."""
    parts = [str(p) for p in loc if isinstance(p, str)] or ["settings"]
    return ".".join(parts), ENV_PREFIX + "__".join(parts).upper()


def _expected(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        model: type[BaseModel] = Settings
        for part in error["loc"][:-1]:
            model = model.model_fields[part].annotation  # Limits, AuthSettings, OidcSettings
        return f"unknown setting; expected one of {', '.join(model.model_fields)}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name, env = _names(tuple(error["loc"]))
    return f"bad setting {name} ({env}): {_expected(error)}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning any failure into one readable ``ConfigError``."""
    path = _config_file()
    if CONFIG_ENV in os.environ and not path.is_file():
        raise ConfigError(f"bad setting {CONFIG_ENV}: {path} is not a file; expected a TOML file")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"bad config file {path}: {exc}; expected TOML") from None
    except SettingsError as exc:
        found = re.search(r'field "(\w+)"', str(exc))
        name = found.group(1) if found else "settings"
        raise ConfigError(
            f"bad setting {name} ({ENV_PREFIX}{name.upper()}): not valid JSON; expected a JSON "
            f"value, or one variable per nested setting such as {ENV_PREFIX}LIMITS__MAX_DEPTH"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
