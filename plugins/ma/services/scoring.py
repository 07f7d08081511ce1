"""Lead scoring: marketers' models of profile and behaviour rules, points, caps and decay.

Every change of a score is a ``ScoreChange`` row with its rule and reason; the score is the
sum of the changes, each halved every ``half_life_days`` since it happened (no half-life: no
decay). Scoring a customer is idempotent: a behaviour rule scores each tracked hit once
(``source = event:<id>``), a profile rule adds its points when the profile starts matching and
takes them back when it stops. When a score crosses the active model's threshold upwards the
customer becomes marketing qualified, their open lead hot, and ``ma.lead_qualified`` is
emitted: sales (SFA, when installed) reacts to the event.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import Event, emit
from unicrm.core.graph.contacts.models import CustomerAddress
from unicrm.core.graph.customers.models import Customer, LifecycleStage
from unicrm.core.graph.leads.lifecycle import advance
from unicrm.core.graph.leads.models import LeadTemperature
from unicrm.core.graph.leads.services import open_lead_of, update_lead
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.jobs.contracts import JobRun
from unicrm.plugins.ma.events import LeadQualified
from unicrm.plugins.ma.models import (
    EngagementKind,
    LeadScore,
    ScoreChange,
    ScoringModel,
    TrackingEvent,
)

KEY = re.compile(r"[a-z0-9][a-z0-9_\-]{0,99}\Z")
PROFILE, BEHAVIOUR = "profile", "behaviour"
PROFILE_ATTRIBUTES = ("industry", "kind", "company_name", "province")
CUSTOM_ATTRIBUTE = re.compile(r"attributes\.[a-z][a-z0-9_]{0,49}\Z")
OPS = ("EQ", "IN", "CONTAINS", "GTE", "LTE")
MAX_RULES = 100
MAX_POINTS = 1000
MAX_THRESHOLD = 1_000_000
MAX_HALF_LIFE = 3650
TOP_REASONS = 3


@dataclass(frozen=True, slots=True)
class RuleSpec:
    key: str
    name: str
    kind: str
    points: int
    cap: int | None = None
    attribute: str | None = None
    op: str | None = None
    value: Any = None
    event: str | None = None
    url_contains: str | None = None
    event_name: str | None = None


@dataclass(frozen=True, slots=True)
class ModelData:
    key: str
    name: str
    threshold: int
    rules: Sequence[RuleSpec]
    half_life_days: int | None = None
    active: bool = True


# --- definitions ---------------------------------------------------------------------------


def _value_errors(rule: RuleSpec, where: str) -> list[FieldError]:
    value = rule.value
    if rule.op == "IN":
        ok = (
            isinstance(value, list)
            and 0 < len(value) <= 100
            and all(isinstance(v, str) and v.strip() for v in value)
        )
        expected = "a list of 1 to 100 texts"
    elif rule.op in ("GTE", "LTE"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "a number"
    else:
        ok = isinstance(value, str) and 0 < len(value.strip()) <= 200
        expected = "a text of 1 to 200 characters"
    return [] if ok else [FieldError("INVALID", f"{rule.op} takes {expected}", f"{where}.value")]


def _rule_errors(rule: RuleSpec, where: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not KEY.match(rule.key):
        errors.append(FieldError("INVALID", "a rule key is a-z, 0-9, _ and -", f"{where}.key"))
    if not rule.name.strip() or len(rule.name) > 200:
        errors.append(FieldError("INVALID", "a rule name has 1 to 200 characters", f"{where}.name"))
    if rule.points == 0 or abs(rule.points) > MAX_POINTS:
        errors.append(
            FieldError(
                "INVALID", f"points are -{MAX_POINTS}..{MAX_POINTS}, not 0", f"{where}.points"
            )
        )
    if rule.cap is not None and not 0 < rule.cap <= MAX_THRESHOLD:
        errors.append(FieldError("INVALID", "a cap is a positive number of points", f"{where}.cap"))
    if rule.kind == PROFILE:
        if rule.attribute not in PROFILE_ATTRIBUTES and not CUSTOM_ATTRIBUTE.match(
            rule.attribute or ""
        ):
            errors.append(
                FieldError(
                    "INVALID",
                    "attribute is one of "
                    + ", ".join(PROFILE_ATTRIBUTES)
                    + " or attributes.<name>",
                    f"{where}.attribute",
                )
            )
        if rule.op not in OPS:
            errors.append(FieldError("INVALID", "op is one of " + ", ".join(OPS), f"{where}.op"))
        else:
            errors += _value_errors(rule, where)
    elif rule.kind == BEHAVIOUR:
        if rule.event not in {k.value for k in EngagementKind}:
            errors.append(
                FieldError(
                    "INVALID",
                    "event is one of " + ", ".join(k.value for k in EngagementKind),
                    f"{where}.event",
                )
            )
        for name, value in (("url_contains", rule.url_contains), ("event_name", rule.event_name)):
            if value is not None and not 0 < len(value.strip()) <= 200:
                errors.append(FieldError("INVALID", "1 to 200 characters", f"{where}.{name}"))
    else:
        errors.append(FieldError("INVALID", "kind is profile or behaviour", f"{where}.kind"))
    return errors


def _check(data: ModelData) -> None:
    errors: list[FieldError] = []
    if not KEY.match(data.key):
        errors.append(FieldError("INVALID", "a key is a-z, 0-9, _ and - (1-100)", "key"))
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name has 1 to 200 characters", "name"))
    if not 0 < data.threshold <= MAX_THRESHOLD:
        errors.append(FieldError("INVALID", "the threshold is a positive number", "threshold"))
    if data.half_life_days is not None and not 0 < data.half_life_days <= MAX_HALF_LIFE:
        errors.append(
            FieldError("INVALID", f"a half-life is 1 to {MAX_HALF_LIFE} days", "half_life_days")
        )
    if not data.rules:
        errors.append(FieldError("REQUIRED", "a model has at least one rule", "rules"))
    elif len(data.rules) > MAX_RULES:
        errors.append(FieldError("TOO_MANY", f"at most {MAX_RULES} rules", "rules"))
    seen: set[str] = set()
    for i, rule in enumerate(data.rules):
        if rule.key in seen:
            errors.append(FieldError("DUPLICATE", f"two rules keyed {rule.key}", f"rules.{i}.key"))
        seen.add(rule.key)
        errors += _rule_errors(rule, f"rules.{i}")
    if errors:
        raise DomainError(*errors)


def _rule_json(rule: RuleSpec) -> dict[str, Any]:
    base = {
        "key": rule.key,
        "name": rule.name.strip(),
        "kind": rule.kind,
        "points": rule.points,
        "cap": rule.cap,
    }
    if rule.kind == PROFILE:
        return {**base, "attribute": rule.attribute, "op": rule.op, "value": rule.value}
    return {
        **base,
        "event": rule.event,
        "url_contains": (rule.url_contains or "").strip() or None,
        "event_name": (rule.event_name or "").strip() or None,
    }


async def save_model(session: AsyncSession, data: ModelData) -> ScoringModel:
    """Create the model of ``data.key`` or replace its definition. Activating it deactivates
    the others: one model scores everybody. Past score changes stay as they were."""
    _check(data)
    model = await session.scalar(
        select(ScoringModel).where(ScoringModel.key == data.key).with_for_update()
    )
    if model is None:
        model = ScoringModel(id=uuid7(), key=data.key)
        session.add(model)
    model.name = data.name.strip()
    model.threshold = data.threshold
    model.half_life_days = data.half_life_days
    model.rules = [_rule_json(r) for r in data.rules]
    model.active = data.active
    if data.active:
        others = await session.scalars(
            select(ScoringModel).where(ScoringModel.active.is_(True), ScoringModel.key != data.key)
        )
        for other in others:
            other.active = False
    await session.flush()
    return model


async def active_model(session: AsyncSession) -> ScoringModel | None:
    return await session.scalar(select(ScoringModel).where(ScoringModel.active.is_(True)))


# --- scoring -------------------------------------------------------------------------------


def decayed(points: int, at: datetime, half_life_days: int | None, now: datetime) -> float:
    """``points`` awarded at ``at``, as they count at ``now``."""
    if not half_life_days:
        return float(points)
    age = max(0.0, (now - at).total_seconds()) / 86400
    return points * 0.5 ** (age / half_life_days)


def total(changes: Iterable[ScoreChange], half_life_days: int | None, now: datetime) -> int:
    return round(sum(decayed(c.points, c.at, half_life_days, now) for c in changes))


def _text(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _matches(rule: dict[str, Any], values: list[Any]) -> bool:
    """Whether any of the profile's values for the rule's attribute passes its test."""
    op, wanted = rule["op"], rule["value"]
    for value in values:
        if value is None or value == "":
            continue
        if op == "EQ" and _text(value) == _text(wanted):
            return True
        if op == "IN" and _text(value) in {_text(w) for w in wanted}:
            return True
        if op == "CONTAINS" and _text(wanted) in _text(value):
            return True
        if op in ("GTE", "LTE"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if (number >= wanted) if op == "GTE" else (number <= wanted):
                return True
    return False


async def _profile_values(session: AsyncSession, customer: Customer, attribute: str) -> list[Any]:
    if attribute == "province":
        rows = await session.scalars(
            select(CustomerAddress.province).where(CustomerAddress.customer_id == customer.id)
        )
        return list(rows)
    if attribute.startswith("attributes."):
        return [(customer.attributes or {}).get(attribute.removeprefix("attributes."))]
    value = getattr(customer, attribute)
    return [getattr(value, "value", value)]


def _hit_matches(rule: dict[str, Any], hit: TrackingEvent) -> bool:
    if hit.kind.value != rule["event"]:
        return False
    if (
        rule.get("url_contains")
        and rule["url_contains"].casefold() not in (hit.url or "").casefold()
    ):
        return False
    return not rule.get("event_name") or rule["event_name"] == hit.name


def _describe(hit: TrackingEvent) -> str:
    what = hit.kind.value.replace("_", " ")
    detail = hit.url or hit.name
    return f"{what} {detail}"[:250] if detail else what


@dataclass(slots=True)
class _Run:
    """One scoring run of one customer: the changes so far and those it adds."""

    model: ScoringModel
    customer: Customer
    now: datetime
    changes: list[ScoreChange]
    added: list[ScoreChange]

    def net(self, rule_key: str) -> int:
        return sum(c.points for c in self.changes + self.added if c.rule == rule_key)

    def add(
        self, rule: dict[str, Any], points: int, reason: str, source: str, at: datetime
    ) -> None:
        self.added.append(
            ScoreChange(
                id=uuid7(),
                customer_id=self.customer.id,
                model=self.model.key,
                rule=rule["key"],
                points=points,
                reason=reason[:300],
                source=source,
                at=at,
            )
        )


def _capped(rule: dict[str, Any], points: int, net: int) -> int:
    """What is left of ``points`` under the rule's cap (on the absolute total)."""
    if rule.get("cap") is None:
        return points
    room = max(0, rule["cap"] - abs(net))
    return points if abs(points) <= room else (room if points > 0 else -room)


async def _score_behaviour(session: AsyncSession, run: _Run) -> None:
    rules = [r for r in run.model.rules if r["kind"] == BEHAVIOUR]
    if not rules:
        return
    hits = await session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.customer_id == run.customer.id, TrackingEvent.bot.is_(False))
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    )
    done = {(c.rule, c.source) for c in run.changes}
    for hit in hits:
        source = f"event:{hit.id}"
        for rule in rules:
            if (rule["key"], source) in done or not _hit_matches(rule, hit):
                continue
            points = _capped(rule, rule["points"], run.net(rule["key"]))
            if points:
                run.add(rule, points, f"{rule['name']}: {_describe(hit)}", source, hit.occurred_at)


async def _score_profile(session: AsyncSession, run: _Run) -> None:
    for rule in (r for r in run.model.rules if r["kind"] == PROFILE):
        values = await _profile_values(session, run.customer, rule["attribute"])
        net = run.net(rule["key"])
        source = f"profile:{uuid7()}"
        if _matches(rule, values) and net == 0:
            points = _capped(rule, rule["points"], 0)
            run.add(rule, points, f"{rule['name']}: profile matches", source, run.now)
        elif not _matches(rule, values) and net != 0:
            run.add(rule, -net, f"{rule['name']}: profile no longer matches", source, run.now)


def _reasons(changes: Iterable[ScoreChange], names: dict[str, str]) -> list[str]:
    by_rule: dict[str, int] = defaultdict(int)
    for change in changes:
        by_rule[change.rule] += change.points
    best = sorted((p, r) for r, p in by_rule.items() if p > 0)[::-1][:TOP_REASONS]
    return [names.get(r, r) for _, r in best]


async def _qualify(session: AsyncSession, run: _Run, score: int) -> None:
    """The score crossed the threshold: marketing qualified, a hot lead, the hand-off event."""
    customer, model = run.customer, run.model
    lead = await open_lead_of(session, customer.id)
    if lead is not None:
        await update_lead(session, lead.id, temperature=LeadTemperature.HOT)
    advance(
        session,
        customer,
        LifecycleStage.MARKETING_QUALIFIED,
        f"lead score {score} reached {model.threshold} ({model.name})",
    )
    reasons = _reasons(run.changes + run.added, {r["key"]: r["name"] for r in model.rules})
    add_entry(
        session,
        customer.id,
        "ma.lead_qualified",
        f"Marketing qualified: lead score {score}",
        summary=", ".join(reasons) or None,
        data={"model": model.key, "score": score, "threshold": model.threshold},
    )
    emit(
        session,
        "ma.lead_qualified",
        LeadQualified(
            model=model.key,
            score=score,
            threshold=model.threshold,
            lead_id=None if lead is None else str(lead.id),
            reasons=reasons,
        ),
        customer_id=customer.id,
    )


async def _store(session: AsyncSession, run: _Run, value: int) -> LeadScore:
    score = await session.scalar(
        select(LeadScore).where(LeadScore.customer_id == run.customer.id).with_for_update()
    )
    if score is None:
        score = LeadScore(id=uuid7(), customer_id=run.customer.id)
        session.add(score)
    score.value, score.model = value, run.model.key
    score.half_life_days = run.model.half_life_days
    score.updated_at = run.now
    return score


async def score_customer(
    session: AsyncSession, customer_id: uuid.UUID, now: datetime | None = None
) -> LeadScore | None:
    """Apply the active model to the customer: new hits, profile changes, decay; qualify on
    crossing the threshold. None without an active model or customer."""
    model = await active_model(session)
    if model is None:
        return None
    customer = await session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        return None
    changes = await session.scalars(
        select(ScoreChange).where(
            ScoreChange.customer_id == customer.id, ScoreChange.model == model.key
        )
    )
    run = _Run(model, customer, now or utcnow(), list(changes), [])
    before = total(run.changes, model.half_life_days, run.now)
    await _score_behaviour(session, run)
    await _score_profile(session, run)
    session.add_all(run.added)
    after = total(run.changes + run.added, model.half_life_days, run.now)
    score = await _store(session, run, after)
    if before < model.threshold <= after:
        await _qualify(session, run, after)
    await session.flush()
    return score


async def on_customer_changed(event: Event, session: AsyncSession) -> None:
    """A profile changed: profile rules may start or stop matching (idempotent by design)."""
    if event.customer_id is not None:
        await score_customer(session, event.customer_id)


DECAY_BATCH = 500


async def decay_scores(job: JobRun, session: AsyncSession) -> None:
    """The periodic job: bring every stored score of the active model down to its decayed
    value, so segments on the score see today's value. Decay only lowers scores."""
    model = await active_model(session)
    if model is None or not model.half_life_days:
        return
    now = utcnow()
    after: uuid.UUID | None = None
    while True:
        stmt = select(LeadScore).where(LeadScore.model == model.key).order_by(LeadScore.id)
        scores = list(
            await session.scalars(
                (stmt if after is None else stmt.where(LeadScore.id > after)).limit(DECAY_BATCH)
            )
        )
        if not scores:
            return
        changes: dict[uuid.UUID, list[ScoreChange]] = defaultdict(list)
        for change in await session.scalars(
            select(ScoreChange).where(
                ScoreChange.model == model.key,
                ScoreChange.customer_id.in_([s.customer_id for s in scores]),
            )
        ):
            changes[change.customer_id].append(change)
        for score in scores:
            value = total(changes[score.customer_id], model.half_life_days, now)
            if value != score.value:
                score.value, score.updated_at = value, now
        await session.flush()
        after = scores[-1].id


async def recompute(session: AsyncSession, customer_id: uuid.UUID) -> LeadScore:
    """``score_customer`` for staff: a typed error without a model or customer."""
    if await active_model(session) is None:
        raise DomainError.single("NO_ACTIVE_MODEL", "no scoring model is active", None)
    score = await score_customer(session, customer_id)
    if score is None:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id")
    return score
