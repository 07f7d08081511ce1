"""Templates: Jinja2 in a sandbox, with the variables a template may use declared.

A template may use ``customer`` (the fields in ``CUSTOMER_FIELDS``), ``unsubscribe_url`` and
the context variables it declares. Checking a template finds syntax errors, undeclared
variables and unknown customer fields before it is saved; rendering it with StrictUndefined
fails on anything missing. Every problem is a ``DomainError`` whose message names the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from unicrm.core.errors import DomainError, FieldError

CUSTOMER_FIELDS = ("display_name", "first_name", "last_name", "company_name", "kind", "locale")
BUILTINS = frozenset({"customer", "unsubscribe_url"})
VARIABLE = re.compile(r"[a-z_][a-z0-9_]{0,63}\Z")
MAX_BODY = 200_000
LOCALES = ("th", "en")

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_HTML_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


@dataclass(frozen=True, slots=True)
class Parts:
    """A template's parts, each checked and rendered on its own."""

    subject: str | None
    text: str
    html: str | None

    def items(self) -> Iterator[tuple[str, str, bool]]:
        """(field, source, is_html) of each part present."""
        if self.subject is not None:
            yield "subject", self.subject, False
        yield "text_body", self.text, False
        if self.html is not None:
            yield "html_body", self.html, True


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


def _env(html: bool) -> SandboxedEnvironment:
    return _HTML_ENV if html else _ENV


def _customer_attributes(tree: nodes.Template) -> Iterator[nodes.Getattr | nodes.Getitem]:
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name == "customer":
            yield node


def _first_use(tree: nodes.Template, name: str) -> int:
    for node in tree.find_all(nodes.Name):
        if node.name == name and node.ctx == "load":
            return node.lineno
    return 1


def check_variables(names: Sequence[str]) -> list[str]:
    """The declared context variables, cleaned; bad names are a ``DomainError``."""
    cleaned = list(dict.fromkeys(n.strip() for n in names))
    for name in cleaned:
        if not VARIABLE.match(name) or name in BUILTINS:
            raise DomainError.single(
                "INVALID",
                f"variable {name!r} must be lower_snake_case and not customer or unsubscribe_url",
                "variables",
            )
    return cleaned


def check(parts: Parts, variables: Sequence[str]) -> None:
    """Every syntax error, undeclared variable and unknown customer field, with its line."""
    allowed = BUILTINS | set(variables)
    errors: list[FieldError] = []
    for field, source, html in parts.items():
        if len(source) > MAX_BODY:
            errors.append(FieldError("TOO_LONG", f"at most {MAX_BODY} characters", field))
            continue
        env = _env(html)
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            errors.append(FieldError("TEMPLATE_SYNTAX", f"line {exc.lineno}: {exc.message}", field))
            continue
        for name in sorted(meta.find_undeclared_variables(tree) - allowed):
            errors.append(
                FieldError(
                    "UNKNOWN_VARIABLE",
                    f"line {_first_use(tree, name)}: {name!r} is not a declared variable",
                    field,
                )
            )
        for node in _customer_attributes(tree):
            attr = (
                node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
            )
            if attr not in CUSTOMER_FIELDS:
                errors.append(
                    FieldError(
                        "UNKNOWN_VARIABLE",
                        f"line {node.lineno}: customer.{attr} is not a customer field "
                        f"(known: {', '.join(CUSTOMER_FIELDS)})",
                        field,
                    )
                )
    if errors:
        raise DomainError(*errors)


def _error_line(exc: BaseException) -> int | None:
    """The template line a render error happened on, from Jinja's rewritten traceback."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(
    parts: Parts,
    variables: Sequence[str],
    context: Mapping[str, Any],
    builtins: Mapping[str, Any],
) -> Rendered:
    """Render every part with the sender's ``context`` and the ``builtins`` (``customer``,
    ``unsubscribe_url``).

    The context must hold exactly the declared variables: a missing or an unknown one is a
    ``DomainError`` (MISSING_VARIABLE, UNKNOWN_VARIABLE), as is any render error.
    """
    missing = [v for v in variables if v not in context]
    unknown = sorted(set(context) - set(variables))
    errors = [
        FieldError("MISSING_VARIABLE", f"the template needs the variable {v!r}", "context")
        for v in missing
    ] + [
        FieldError("UNKNOWN_VARIABLE", f"the template declares no variable {v!r}", "context")
        for v in unknown
    ]
    if errors:
        raise DomainError(*errors)
    values = {**builtins, **context}
    out: dict[str, str | None] = {"subject": None, "text_body": None, "html_body": None}
    for field, source, html in parts.items():
        try:
            out[field] = _env(html).from_string(source).render(values)
        except TemplateError as exc:
            line = _error_line(exc)
            where = f"line {line}: " if line is not None else ""
            raise DomainError.single("RENDER_ERROR", f"{where}{exc}", field) from None
    subject = out["subject"]
    return Rendered(
        subject=None if subject is None else " ".join(subject.split()),
        text=out["text_body"] or "",
        html=out["html_body"],
    )
