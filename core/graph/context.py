"""What every resolver can reach through ``info.context``.

Built per request by ``unicrm.schema.context``; defined in core so that core and plugin
resolvers can type it without importing the schema layer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from unicrm.core.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from unicrm.core.authz.access import Access
    from unicrm.core.config import Limits
    from unicrm.core.db.reads import RequestReads
    from unicrm.core.graph.departments.services import DepartmentInfo
    from unicrm.core.state import AppState


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, set once per request by ``unicrm.core.authz.authenticate``.

    ``subject`` is the name access policies use: ``user:<uuid>``, ``apikey:<uuid>``,
    ``anonymous`` or ``system``. ``user_id`` is None for API keys, anonymous and system
    actors. ``session_id`` is the sign-in session of a user's access token; ``department_id``
    pins an API key to its department; ``auth`` says how the caller proved who they are
    (``password``, ``sso``, ``api_key``, or a plugin's own name).
    """

    user_id: Any | None
    name: str
    kind: str = "user"  # user | api_key | system | anonymous
    subject: str = ""
    session_id: Any | None = None
    department_id: Any | None = None
    auth: str | None = None

    def __post_init__(self) -> None:
        if not self.subject:
            subject = f"user:{self.user_id}" if self.user_id is not None else self.kind
            object.__setattr__(self, "subject", subject)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, name="anonymous", kind="anonymous", subject="anonymous")

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user_id=None, name=name, kind="system", subject="system", auth="system")


class Loaders:
    """DataLoaders of one request, each made on first use from its registered factory."""

    def __init__(self, factories: dict[str, Callable[[Any], DataLoader]], ctx: Any) -> None:
        self._factories = factories
        self._ctx = ctx
        self._made: dict[str, DataLoader] = {}

    def __getitem__(self, name: str) -> DataLoader:
        loader = self._made.get(name)
        if loader is None:
            factory = self._factories.get(name)
            if factory is None:
                raise NotFound(f"no loader named {name!r}")
            loader = self._made[name] = factory(self._ctx)
        return loader


@dataclass
class RequestContext:
    state: AppState
    department: DepartmentInfo
    actor: Actor
    request: Any = None
    access: Access | None = None
    reads: RequestReads | None = None
    """Set by the HTTP endpoint, which closes it after the response: DataLoader batches then
    share one connection. Without it (subscriptions, jobs) each batch has its own session."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.state.registry.loader_factories, self)

    @property
    def db(self):
        return self.state.db

    def read_session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session for one batch of reads: the request's shared connection when it has one."""
        return self.reads.session() if self.reads is not None else self.state.db.session()

    @property
    def settings(self):
        return self.state.settings

    @property
    def limits(self) -> Limits:
        """The request limits of this request's department (page size, depth, rate, ...)."""
        return self.state.settings.limits_for(self.department.slug)
