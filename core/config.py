"""Settings, read from ``unicrm.toml`` and ``UNICRM_*`` environment variables.

Environment variables win over the file. Nested settings use a double underscore,
e.g. ``UNICRM_LIMITS__MAX_DEPTH=12``. The file is ``./unicrm.toml`` unless
``UNICRM_CONFIG`` names another one.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from unicrm.core.errors import ConfigError

BUILTIN_PLUGINS = ("ma", "sfa", "crm", "loyalty")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class Limits(BaseModel):
    """Request limits; every one protects the server from a costly or hostile request."""

    max_depth: int = Field(default=15, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5000, ge=10)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    max_request_bytes: int = Field(default=1_000_000, ge=1024)


def _config_file() -> Path:
    return Path(os.environ.get("UNICRM_CONFIG", "unicrm.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="UNICRM_", env_nested_delimiter="__", extra="forbid"
    )

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("data")
    database_url: str = ""
    plugins: list[str] = Field(default_factory=lambda: list(BUILTIN_PLUGINS))
    timezone: str = "Asia/Bangkok"
    currency: str = "THB"
    default_department: str = "default"
    secret_key: SecretStr = SecretStr("change-me-in-production")
    introspection: bool | None = None
    graphiql: bool | None = None
    limits: Limits = Field(default_factory=Limits)

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
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected sqlite+aiosqlite:///path/to/file.db or "
                "postgresql+asyncpg://user@host:port/database"
            )
        return value

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
        if len(value) != 3 or not value.isalpha():
            raise ValueError("expected a three-letter ISO 4217 code such as THB")
        return value.upper()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'unicrm.db').resolve()}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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
        data["database_url"] = _hide_password(self.effective_database_url)
        return data


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning a validation failure into one readable ``ConfigError``."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        env = "UNICRM_" + where.upper().replace(".", "__")
        raise ConfigError(f"bad setting {where} ({env}): {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
