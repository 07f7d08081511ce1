"""Who gains or loses what between two rule sets (the dry run of a policy change).

Every user and API key holding a role is compared in every department, on every declared
``permission:action``, every PII class, and every coordinate a rule names.
"""

from __future__ import annotations

from dataclasses import dataclass

from unicrm.core.authz.enforcer import Authorizer, Rule
from unicrm.core.authz.store import enforceable
from unicrm.core.authz.vocabulary import COORDINATE_RE, FIELD_ACTIONS, PII_PREFIX, Vocabulary
from unicrm.core.plugins.contracts import PII_CLASSES

GAINS = "gains"
LOSES = "loses"
SCOPE = "scope"


@dataclass(frozen=True, slots=True)
class AccessChange:
    """``subject`` gains, loses, or changes the row scope of ``action`` on ``obj``."""

    subject: str
    department: str
    obj: str
    action: str
    change: str
    scope_before: str | None
    scope_after: str | None


def _objects(known: Vocabulary, rules: list[Rule]) -> list[tuple[str, str]]:
    pairs = [(name, action) for name, actions in known.permissions.items() for action in actions]
    pairs += [(f"{PII_PREFIX}{c}", a) for c in PII_CLASSES for a in FIELD_ACTIONS]
    coordinates = sorted(
        {r.values[2] for r in rules if r.is_grant and COORDINATE_RE.match(r.values[2])}
        - {r.values[2] for r in rules if r.values[2].endswith("*")}
    )
    pairs += [(c, a) for c in coordinates for a in FIELD_ACTIONS]
    return pairs


def _subjects(rules: list[Rule]) -> set[str]:
    return {r.values[0] for r in rules if not r.is_grant and ":" in r.values[0]}


def compare(
    before: list[Rule], after: list[Rule], known: Vocabulary, departments: list[str]
) -> list[AccessChange]:
    old, new = Authorizer(), Authorizer()
    old.load(enforceable(before, known))
    new.load(enforceable(after, known))
    objects = _objects(known, [*before, *after])
    changes: list[AccessChange] = []
    for subject in sorted(_subjects(before) | _subjects(after)):
        for department in sorted(departments):
            for obj, action in objects:
                was = old.scope(subject, department, obj, action)
                now = new.scope(subject, department, obj, action)
                if was == now:
                    continue
                kind = GAINS if was is None else LOSES if now is None else SCOPE
                changes.append(AccessChange(subject, department, obj, action, kind, was, now))
    return changes
