"""What every command shares: settings, the process state, running async work, and errors.

Commands read their context from ``ctx.obj`` (a ``Cli``). Tests may pass their own ``Cli``
with explicit plugins, exactly as the test kit registers plugins without entry points.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import typer
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from rich.console import Console
from sqlalchemy.exc import DBAPIError

from unicrm.core.config import Settings, load_settings
from unicrm.core.errors import PluginError, UniCRMError
from unicrm.core.migrations.runner import is_migrated
from unicrm.core.state import AppState, SchemaFactory, create_state

T = TypeVar("T")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class NotMigrated(UniCRMError):
    def __init__(self) -> None:
        super().__init__("database not migrated: run `unicrm db upgrade`")


@dataclass
class Cli:
    """The command line's context: the settings, loaded once, and how to build the state."""

    plugins: dict[str, object] | None = None
    loaded: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self.loaded is None:
            self.loaded = load_settings()
        return self.loaded

    def state(self, schema_factory: SchemaFactory | None = None) -> AppState:
        """Load and validate the installed plugins and open (lazily) the database."""
        try:
            return create_state(self.settings, plugins=self.plugins, schema_factory=schema_factory)
        except ImportError as exc:
            raise PluginError(f"a plugin cannot be imported: {exc}") from None


def cli_of(ctx: typer.Context) -> Cli:
    return ctx.ensure_object(Cli)


def run(state: AppState, work: Callable[[AppState], Awaitable[T]]) -> T:
    """Run ``work`` on its own event loop, closing the database connections afterwards."""

    async def go() -> T:
        try:
            return await work(state)
        finally:
            await state.db.dispose()

    return asyncio.run(go())


async def require_migrated(state: AppState) -> None:
    """Stop with one clear line unless every migration branch is at its head."""
    if not await is_migrated(state.db, state.registry):
        raise NotMigrated()


def split_names(value: str | None) -> list[str]:
    """``"ma, sfa,"`` → ``["ma", "sfa"]``; ``core`` is implicit and dropped."""
    if not value:
        return []
    return [n for n in (p.strip() for p in value.split(",")) if n and n != "core"]


def describe(exc: BaseException, settings: Settings | None) -> str | None:
    """The one line to print for an error a user can cause; None for a bug (a traceback)."""
    if isinstance(exc, UniCRMError):
        return str(exc)
    if isinstance(exc, CommandError | RevisionError):
        return f"migration: {exc}"
    where = f" at {settings.public_dict()['database_url']}" if settings is not None else ""
    if isinstance(exc, DBAPIError):
        return f"database error{where}: {exc.orig if exc.orig is not None else exc}"
    if isinstance(exc, OSError):
        return f"cannot reach the database{where}: {exc.strerror or exc}"
    return None


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as one line on stderr; raise the returned ``Exit``."""
    line = " ".join(message.split())
    err.print(f"error: {line}", markup=False)
    return typer.Exit(code)
