"""Departments and their plugin sets; read by every request through ``DepartmentDirectory``."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.database import Database
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.departments.models import Department
from unicrm.core.plugins.registry import Registry

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    id: uuid.UUID
    slug: str
    name: str
    plugins: frozenset[str]
    version: int
    is_default: bool


def _info(row: Department) -> DepartmentInfo:
    return DepartmentInfo(
        id=row.id,
        slug=row.slug,
        name=row.name,
        plugins=frozenset(row.plugins),
        version=row.version,
        is_default=row.is_default,
    )


async def list_departments(session: AsyncSession) -> list[DepartmentInfo]:
    rows = (await session.scalars(select(Department).order_by(Department.slug))).all()
    return [_info(r) for r in rows]


async def get_department(session: AsyncSession, slug: str) -> Department:
    """The department named ``slug``; an unknown slug is a ``NOT_FOUND`` domain error."""
    row = await session.scalar(select(Department).where(Department.slug == slug))
    if row is None:
        raise DomainError(FieldError("NOT_FOUND", f"no department {slug!r}", "slug"))
    return row


async def create_department(
    session: AsyncSession,
    registry: Registry,
    *,
    slug: str,
    name: str,
    plugins: list[str],
    is_default: bool = False,
) -> DepartmentInfo:
    if not SLUG_RE.match(slug):
        raise DomainError(
            FieldError("INVALID", "slug must be lowercase letters, digits and dashes", "slug")
        )
    if await session.scalar(select(Department.id).where(Department.slug == slug)):
        raise DomainError(FieldError("DUPLICATE", f"department {slug!r} exists", "slug"))
    enabled = _checked(registry, plugins)
    row = Department(slug=slug, name=name or slug, plugins=sorted(enabled), is_default=is_default)
    session.add(row)
    await session.flush()
    return _info(row)


def _checked(registry: Registry, plugins: list[str]) -> frozenset[str]:
    from unicrm.core.errors import PluginError

    try:
        return registry.check_enabled(plugins)
    except PluginError as exc:
        raise DomainError(FieldError("INVALID_PLUGIN", str(exc), "plugins")) from None


async def set_plugins(
    session: AsyncSession, registry: Registry, slug: str, *, enable=(), disable=()
) -> DepartmentInfo:
    row = await get_department(session, slug)
    wanted = (set(row.plugins) | set(enable)) - set(disable)
    unknown = set(disable) - set(registry.installed)
    if unknown:
        raise DomainError(
            FieldError(
                "INVALID_PLUGIN", f"plugin {sorted(unknown)[0]!r} is not installed", "plugins"
            )
        )
    enabled = _checked(registry, sorted(wanted))
    if sorted(enabled) != sorted(row.plugins):
        row.plugins = sorted(enabled)
        row.version += 1
    await session.flush()
    return _info(row)


async def ensure_default(session: AsyncSession, registry: Registry, slug: str) -> DepartmentInfo:
    """On first start, create the default department with every installed plugin."""
    count = await session.scalar(select(func.count()).select_from(Department))
    if count:
        row = await session.scalar(select(Department).where(Department.is_default.is_(True)))
        return _info(row) if row else (await list_departments(session))[0]
    return await create_department(
        session,
        registry,
        slug=slug,
        name=slug.capitalize(),
        plugins=list(registry.installed),
        is_default=True,
    )


class DepartmentDirectory:
    """Every worker's view of the departments, re-read at most once a second.

    Departments are few, so the whole table is read; a change made through any worker (or the
    CLI) reaches every worker within ``ttl`` seconds without a restart.
    """

    def __init__(self, db: Database, ttl: float = 1.0) -> None:
        self._db = db
        self._ttl = ttl
        self._loaded_at = float("-inf")
        self._by_slug: dict[str, DepartmentInfo] = {}
        self._default: DepartmentInfo | None = None

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < self._ttl:
            return
        async with self._db.session() as session:
            infos = await list_departments(session)
        self._by_slug = {d.slug: d for d in infos}
        self._default = next((d for d in infos if d.is_default), infos[0] if infos else None)
        self._loaded_at = time.monotonic()

    async def get(self, slug: str | None) -> DepartmentInfo | None:
        await self._refresh()
        if slug is None:
            return self._default
        return self._by_slug.get(slug)

    async def by_id(self, department_id: uuid.UUID) -> DepartmentInfo | None:
        await self._refresh()
        return next((d for d in self._by_slug.values() if d.id == department_id), None)
