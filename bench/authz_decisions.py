"""How fast the Authorizer decides with 60 roles and 2,400 rules (never run by CI).

.venv/bin/python bench/authz_decisions.py
"""

from __future__ import annotations

import time

from unicrm.core.authz.enforcer import Authorizer, Rule

ROLES, RULES_PER_ROLE, USERS = 60, 40, 200


def rules() -> list[Rule]:
    out = []
    for r in range(ROLES):
        for k in range(RULES_PER_ROLE):
            department = "*" if k % 2 else f"d{k % 5}"
            out.append(Rule.allow(f"role{r}", department, f"p{k}.thing{r}", "read"))
        out.append(Rule.deny(f"role{r}", "*", f"Type{r}.secret", "read"))
    for u in range(USERS):
        out.append(Rule.link(f"user:{u}", f"role{u % ROLES}", "*"))
        out.append(Rule.link(f"user:{u}", f"role{(u * 7) % ROLES}", f"d{u % 5}"))
    return out


def main() -> None:
    authz = Authorizer()
    started = time.perf_counter()
    authz.load(rules())
    print(f"load {len(authz.rules)} rules: {(time.perf_counter() - started) * 1000:.1f} ms")
    requests = [
        (f"user:{u}", f"d{u % 5}", f"p{k}.thing{u % ROLES}", "read")
        for u in range(USERS)
        for k in range(40)
    ]
    started = time.perf_counter()
    for request in requests:
        authz.allowed(*request)
    first = (time.perf_counter() - started) / len(requests) * 1e6
    started = time.perf_counter()
    for request in requests:
        authz.allowed(*request)
    cached = (time.perf_counter() - started) / len(requests) * 1e6
    sample = requests[:50]
    authz.casbin.enforce(*sample[0])  # build the reference enforcer first
    started = time.perf_counter()
    for request in sample:
        authz.casbin.enforce(*request)
    plain = (time.perf_counter() - started) / len(sample) * 1e6
    print(f"allowed, first ask: {first:.1f} us; repeated: {cached:.2f} us")
    print(f"casbin enforce on the same rules: {plain:.0f} us")


if __name__ == "__main__":
    main()
