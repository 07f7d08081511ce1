"""How a field's value is obtained, declared where the field is defined, so that the compiled
executor (unicrm.schema.executor) can plan a query without calling graphql-core per field.

Three kinds, core and plugin fields alike:

* **attribute**: a field without a resolver is read from the parent object's attribute of the
  same (Python) name. Nothing to declare.
* **loader**: ``@loads(loader, key=..., each=/one=/build=)`` on a resolver makes the resolver
  *be* that load: the value is ``build(await loaders[loader].load(key))``. Strawberry's
  execution calls the generated resolver; the compiled executor batches the keys of a whole
  level into one ``load_many`` and maps the rows itself. Both run the same code, so they
  cannot disagree.

      @loads("core.tags_by_customer", each=Tag.from_row)
      async def tags(root: Customer, info: strawberry.Info) -> list[Tag]:
          \"\"\"Tags, in name order.\"\"\"

* **direct**: ``@direct`` says a resolver with its own logic (a root field, a connection's
  ``totalCount``) may be called as it is, once per parent, by the compiled executor: it reads
  only its parent, its arguments and ``info.context``/``info.schema``.

A resolver with neither declaration makes any query selecting it run through strawberry's
normal execution (a counted, logged fallback naming the field).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DECLARATION = "__unicrm_plan__"

Key = Callable[[Any, dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Loads:
    """The value is ``build(load(key(parent, arguments)))``; a None key is a None value."""

    loader: str
    key: Key
    build: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Direct:
    """The resolver may be called directly, once per parent."""


DIRECT = Direct()


def _key_of(key: str | Key) -> Key:
    if callable(key):
        return key
    return lambda root, _args: getattr(root, key)


def _each(each: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda rows: [each(row) for row in rows]


def _one(one: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda row: None if row is None else one(row)


def _identity(value: Any) -> Any:
    return value


def loads(
    loader: str,
    *,
    key: str | Key = "pk",
    each: Callable[[Any], Any] | None = None,
    one: Callable[[Any], Any] | None = None,
    build: Callable[[Any], Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make the decorated resolver the load of ``loader`` under ``key`` (an attribute name of
    the parent, or ``key(parent, arguments)`` with arguments by Python name).

    ``each`` maps every row of a list, ``one`` maps a single row (None stays None), ``build``
    maps the loaded value as a whole (e.g. the primary row of a list). The decorated function
    only lends its signature (parent, arguments, return type) and docstring.
    """
    if sum(f is not None for f in (each, one, build)) > 1:
        raise ValueError("pass at most one of each, one, build")
    mapped = _each(each) if each else _one(one) if one else build or _identity
    declaration = Loads(loader, _key_of(key), mapped)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = fn.__code__.co_varnames[: fn.__code__.co_argcount + fn.__code__.co_kwonlyargcount]
        if "info" not in params or not params or params[0] not in ("root", "self"):
            raise TypeError(f"{fn.__qualname__}: a loaded field takes (root or self, info, ...)")

        @functools.wraps(fn)
        async def resolver(*args: Any, **kwargs: Any) -> Any:
            info = kwargs.pop("info")
            root = args[0] if args else kwargs.pop("root")
            value = declaration.key(root, kwargs)
            if value is None:
                return None
            return mapped(await info.context.loaders[loader].load(value))

        setattr(resolver, DECLARATION, declaration)
        return resolver

    return decorate


def direct(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a resolver the compiled executor may call as it is (see the module docstring)."""
    setattr(fn, DECLARATION, DIRECT)
    return fn


def declaration_of(resolver: Callable[..., Any] | None) -> Loads | Direct | None:
    return getattr(resolver, DECLARATION, None) if resolver is not None else None
