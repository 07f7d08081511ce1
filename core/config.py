"""Settings, read from ``unicrm.toml`` and ``UNICRM_*`` environment variables.

Environment variables win over the file. Nested settings use a double underscore,
e.g. ``UNICRM_LIMITS__MAX_DEPTH=12``; lists are comma-separated, e.g. ``UNICRM_PLUGINS=ma,sfa``.
The file is ``./unicrm.toml`` unless ``UNICRM_CONFIG`` names another one (which must exist).
A bad value is one ``ConfigError`` line naming the setting, its variable and the expected form.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    create_model,
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
    requests_per_second: float = Field(default=0, ge=0)
    burst: int | None = Field(default=None, ge=1)

    @property
    def rate_burst(self) -> int:
        """How many requests an actor may make at once: ``burst``, else one second's worth."""
        return self.burst or max(1, math.ceil(self.requests_per_second))


def _overrides_of(model: type[BaseModel]) -> type[BaseModel]:
    """A model with every field of ``model`` optional (None: not overridden), same checks."""
    fields: dict[str, Any] = {
        name: (Annotated[field.annotation, *field.metadata] | None, None)
        for name, field in model.model_fields.items()
    }
    config = ConfigDict(extra="forbid")
    return create_model(f"{model.__name__}Override", __config__=config, **fields)


LimitsOverride = _overrides_of(Limits)


def _comma_list(value: Any, form: str) -> Any:
    """A list from a comma-separated or JSON-array string (environment variables)."""
    if isinstance(value, str):
        if value.strip().startswith("["):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                raise ValueError(f"expected {form}") from None
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


_ORIGIN = re.compile(r"https?://[^/\s?#]+\Z")
ORIGINS_FORM = "origins such as https://app.example.com,http://localhost:5173, or *"


class Cors(BaseModel):
    """Which browser origins may call the API; none by default (no CORS headers at all)."""

    model_config = ConfigDict(extra="forbid")

    allow_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("allow_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        return _comma_list(value, ORIGINS_FORM)

    @field_validator("allow_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        origins = [origin.removesuffix("/") for origin in value]
        if not all(origin == "*" or _ORIGIN.match(origin) for origin in origins):
            raise ValueError(f"expected {ORIGINS_FORM}")
        return origins


class PersistedQueryMode(StrEnum):
    OFF = "off"  # persisted-query hashes are not understood
    ALLOW = "allow"  # known hashes run, and so do ad-hoc documents
    ONLY = "only"  # only documents of the manifest run (trusted documents)


class PersistedQueries(BaseModel):
    """Trusted documents: a manifest ``{sha256 hex: document}`` built by the frontends."""

    model_config = ConfigDict(extra="forbid")

    mode: PersistedQueryMode = PersistedQueryMode.OFF
    manifest: Path | None = None

    @model_validator(mode="after")
    def _manifest_for_only(self) -> PersistedQueries:
        if self.mode is PersistedQueryMode.ONLY and self.manifest is None:
            raise ValueError("mode only needs a manifest file")
        return self


REDIS_URL_FORM = "redis://host:port/db, rediss://host:port/db or unix:///path/to/socket"


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
    totp_required_roles: list[str] = Field(default_factory=list)
    """Holders of these roles (in any department) must sign in with a second factor."""


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


class AuditSettings(BaseModel):
    """What the audit log records beyond mutations and sign-ins (docs/audit-log.md)."""

    model_config = ConfigDict(extra="forbid")

    sensitive_reads: bool = False
    """Record every clear read of a field holding ``sensitive`` personal data."""


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


class NatsSettings(BaseModel):
    """Publishing every domain event to a NATS JetStream stream (docs/events.md)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(default="", description="e.g. nats://127.0.0.1:4222; empty: off.")
    subject_prefix: str = Field(default="unicrm", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
    stream: str = Field(default="UNICRM_EVENTS", pattern=r"^[A-Za-z0-9_-]+$")
    max_age_seconds: float = Field(default=7 * 86400.0, ge=0, description="0: no limit.")
    max_bytes: int = Field(default=-1, ge=-1, description="-1: no limit.")
    max_msgs: int = Field(default=-1, ge=-1, description="-1: no limit.")
    duplicate_window_seconds: float = Field(default=120.0, gt=0)
    timeout_seconds: float = Field(default=5.0, gt=0)


class EventSettings(BaseModel):
    """Delivery of domain events to handlers (docs/events.md)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=10, ge=1)
    backoff_base_seconds: float = Field(default=5.0, gt=0)
    backoff_max_seconds: float = Field(default=3600.0, gt=0)
    poll_interval_seconds: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=100, ge=1)
    dispatcher_in_server: bool = True
    nats: NatsSettings = Field(default_factory=NatsSettings)


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


class SubscriptionSettings(BaseModel):
    """Real-time subscriptions over WebSocket (docs/subscriptions.md)."""

    model_config = ConfigDict(extra="forbid")

    max_per_connection: int = Field(default=20, ge=1)
    max_per_actor: int = Field(
        default=100, ge=1, description="Across the actor's connections to one process."
    )
    connection_init_timeout_seconds: float = Field(default=10.0, gt=0)
    keepalive_seconds: float = Field(
        default=30.0, ge=0, description="Seconds between the server's pings; 0: none."
    )
    queue_size: int = Field(
        default=256, ge=1, description="Events buffered per subscription before it loses some."
    )
    channel: str = Field(default="unicrm:events", min_length=1, max_length=200)


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


class CommerceSettings(BaseModel):
    """Invoices and bookings (docs/invoices.md, docs/bookings.md)."""

    model_config = ConfigDict(extra="forbid")

    vat_rate: Decimal = Field(default=Decimal("0.07"), ge=0, lt=1, decimal_places=4)
    prices_include_vat: bool = Field(
        default=True, description="Thai retail practice: order prices already include VAT."
    )
    booking_reminder_minutes: int = Field(default=24 * 60, ge=0, le=30 * 24 * 60)


class SmtpTls(StrEnum):
    NONE = "none"  # plain SMTP (a relay on localhost)
    STARTTLS = "starttls"  # upgrade with STARTTLS (port 587)
    TLS = "tls"  # implicit TLS (port 465)


class SmtpSettings(BaseModel):
    """The SMTP server e-mail is sent through (docs/messaging.md)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    tls: SmtpTls = SmtpTls.NONE
    user: str = ""
    password: SecretStr = SecretStr("")
    from_address: str = "UniCRM <no-reply@localhost>"
    reply_to: str = ""
    timeout_seconds: float = Field(default=30.0, gt=0)


class FrequencyCap(BaseModel):
    """At most ``count`` marketing messages per customer over ``days`` days on one channel."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=0)
    days: int = Field(ge=1, le=366)


class MessagingSettings(BaseModel):
    """Channels, the contact policy and unsubscribe links (docs/messaging.md)."""

    model_config = ConfigDict(extra="forbid")

    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    default_locale: Literal["th", "en"] = "th"
    public_url: str = "http://localhost:8000"
    frequency_caps: dict[str, FrequencyCap] = Field(
        default_factory=lambda: {"email": FrequencyCap(count=3, days=7)}
    )
    quiet_hours_start: time | None = time(21, 0)
    quiet_hours_end: time | None = time(8, 0)
    callback_secret: SecretStr = SecretStr("")
    max_attempts: int = Field(default=6, ge=1)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not _WEB_ADDRESS.match(value):
            raise ValueError("expected an absolute http(s) URL without query or fragment")
        return value.removesuffix("/")


def _notice_days(value: list[int]) -> list[int]:
    if not value or any(not 0 <= d <= 366 for d in value):
        raise ValueError("expected a non-empty list of days from 0 to 366, such as [30, 7]")
    return sorted(set(value), reverse=True)


class AssetSettings(BaseModel):
    """Reminders about assets and contracts (docs/assets.md)."""

    model_config = ConfigDict(extra="forbid")

    warranty_notice_days: list[int] = Field(default_factory=lambda: [30])
    renewal_notice_days: list[int] = Field(default_factory=lambda: [30])

    @field_validator("warranty_notice_days", "renewal_notice_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        return _notice_days(value)


class CrmSettings(BaseModel):
    """Customer service cases (docs/service.md)."""

    model_config = ConfigDict(extra="forbid")

    reopen_days: int = Field(default=7, ge=0, le=365)
    """How many days after closing a case it may still be reopened."""
    inbound_smtp_host: str = "127.0.0.1"
    inbound_smtp_port: int = Field(default=0, ge=0, le=65535)
    """The port of the inbound e-mail server started with ``unicrm serve``; 0: none."""
    inbound_team: str = ""
    """The name of the team (queue) new cases from e-mail and the web form go to."""


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
    department_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    """How long a process trusts its copy of the departments (their plugin sets)."""
    secret_key: SecretStr = SecretStr("change-me-in-production")
    introspection: bool | None = None
    graphiql: bool | None = None
    compiled_executor: bool = True
    """Run planned queries through the compiled executor (docs/executor.md)."""
    limits: Limits = Field(default_factory=Limits)
    log_format: LogFormat = LogFormat.PLAIN
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    redis_url: str = ""
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    subscriptions: SubscriptionSettings = Field(default_factory=SubscriptionSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    commerce: CommerceSettings = Field(default_factory=CommerceSettings)
    messaging: MessagingSettings = Field(default_factory=MessagingSettings)
    assets: AssetSettings = Field(default_factory=AssetSettings)
    crm: CrmSettings = Field(default_factory=CrmSettings)
    department_limits: dict[str, LimitsOverride] = Field(default_factory=dict)  # type: ignore[valid-type]
    cors: Cors = Field(default_factory=Cors)
    persisted_queries: PersistedQueries = Field(default_factory=PersistedQueries)
    _effective_limits: dict[str, Limits] = PrivateAttr(default_factory=dict)

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

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"expected {REDIS_URL_FORM}")
        return value

    def limits_for(self, department: str) -> Limits:
        """The limits of one department: its ``department_limits`` entry over ``limits``."""
        limits = self._effective_limits.get(department)
        if limits is None:
            override = self.department_limits.get(department)
            limits = self.limits
            if override is not None:
                limits = limits.model_copy(update=override.model_dump(exclude_none=True))
            self._effective_limits[department] = limits
        return limits

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
        data["department_limits"] = {
            slug: override.model_dump(mode="json", exclude_none=True)
            for slug, override in self.department_limits.items()
        }
        url = urlsplit(self.redis_url)
        if url.password:
            hidden = url.netloc.replace(f":{url.password}@", ":***@", 1)
            data["redis_url"] = url._replace(netloc=hidden).geturl()
        return data


def _names(loc: tuple[Any, ...]) -> tuple[str, str]:
    """A setting's dotted name and environment variable, from a pydantic error location."""
    parts = [str(p) for p in loc if isinstance(p, str)] or ["settings"]
    return ".".join(parts), ENV_PREFIX + "__".join(parts).upper()


def _expected(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        model: Any = Settings
        parts = iter(error["loc"][:-1])
        for part in parts:
            model = model.model_fields[part].annotation  # Limits, AuthSettings, OidcSettings, ...
            if get_origin(model) is dict:  # department_limits: skip the department's slug
                model = get_args(model)[1]
                next(parts, None)
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
