"""Web forms: marketers define them, visitors submit them, a submission becomes a lead.

A submission goes through core's lead upsert (dedupe by e-mail, then phone), records each
ticked consent checkbox as a grant with source ``web_form`` and the form as evidence, and
identifies the visitor. An unticked box records nothing; an unticked *required* box refuses
the whole submission, so nothing is written. The customer is then scored (the form fill and
the visits it identified).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, check_pair, record_consent
from unicrm.core.graph.leads.models import LeadSource
from unicrm.core.graph.leads.services import LeadUpsertData, upsert_lead
from unicrm.core.graph.timeline.services import add_entry
from unicrm.plugins.ma.events import FormSubmitted
from unicrm.plugins.ma.models import EngagementKind, Form, FormSubmission, TrackingEvent
from unicrm.plugins.ma.services.scoring import score_customer
from unicrm.plugins.ma.services.tracking import identify, touch_visitor

FORM_KEY = re.compile(r"[a-z0-9][a-z0-9_\-]{0,99}\Z")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}\Z")
FORM_ATTRIBUTES = ("email", "phone", "first_name", "last_name", "province")
"""Customer attributes a form field may fill: those core's lead upsert takes."""
CONTACT_ATTRIBUTES = ("email", "phone")
HONEYPOT = "website"
"""A field hidden from people by the form's CSS: a submission that fills it is a bot's."""
MAX_FIELDS = 50
MAX_ANSWER = 1000
MAX_LABEL = 300
TICKED = frozenset({"on", "true", "1", "yes"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label: str
    attribute: str | None = None
    required: bool = False


@dataclass(frozen=True, slots=True)
class ConsentSpec:
    name: str
    label: str
    purpose: str
    channel: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class FormData:
    key: str
    name: str
    fields: Sequence[FieldSpec]
    consents: Sequence[ConsentSpec] = ()
    policy_version: str | None = None
    active: bool = True
    submissions_per_minute: int = 10


def _field_errors(fields: Sequence[FieldSpec], consents: Sequence[ConsentSpec]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not fields:
        errors.append(FieldError("REQUIRED", "a form has at least one field", "fields"))
    if len(fields) + len(consents) > MAX_FIELDS:
        errors.append(
            FieldError("TOO_MANY", f"a form has at most {MAX_FIELDS} fields and boxes", "fields")
        )
    seen: set[str] = set()
    attributes: set[str] = set()
    for group, items in (("fields", fields), ("consents", consents)):
        for i, item in enumerate(items):
            where = f"{group}.{i}"
            if not FIELD_NAME.match(item.name) or item.name == HONEYPOT:
                errors.append(
                    FieldError(
                        "INVALID",
                        "a name is lowercase letters, digits and _ (not 'website')",
                        f"{where}.name",
                    )
                )
            elif item.name in seen:
                errors.append(FieldError("DUPLICATE", f"two fields named {item.name}", where))
            seen.add(item.name)
            if not item.label.strip() or len(item.label) > MAX_LABEL:
                errors.append(
                    FieldError("INVALID", f"a label has 1 to {MAX_LABEL} characters", where)
                )
    for i, spec in enumerate(fields):
        if spec.attribute is None:
            continue
        if spec.attribute not in FORM_ATTRIBUTES:
            errors.append(
                FieldError(
                    "INVALID",
                    "attribute is one of " + ", ".join(FORM_ATTRIBUTES),
                    f"fields.{i}.attribute",
                )
            )
        elif spec.attribute in attributes:
            errors.append(
                FieldError("DUPLICATE", f"two fields fill {spec.attribute}", f"fields.{i}")
            )
        attributes.add(spec.attribute)
    if fields and not attributes & set(CONTACT_ATTRIBUTES):
        errors.append(
            FieldError("REQUIRED", "a form needs a field mapped to email or phone", "fields")
        )
    for i, box in enumerate(consents):
        errors += _box_errors(box, f"consents.{i}")
    return errors


def _box_errors(box: ConsentSpec, where: str) -> list[FieldError]:
    """A box's purpose and channel: known, and a pair core's consents accept."""
    try:
        purpose = ConsentPurpose(box.purpose)
    except ValueError:
        return [
            FieldError(
                "INVALID",
                "purpose is one of " + ", ".join(p.value for p in ConsentPurpose),
                f"{where}.purpose",
            )
        ]
    try:
        check_pair(purpose, ConsentChannel(box.channel))
    except ValueError:
        return [
            FieldError(
                "INVALID",
                "channel is one of " + ", ".join(c.value for c in ConsentChannel),
                f"{where}.channel",
            )
        ]
    except DomainError as error:
        return [FieldError(e.code, e.message, f"{where}.channel") for e in error.errors]
    return []


def _check(data: FormData) -> None:
    errors: list[FieldError] = []
    if not FORM_KEY.match(data.key):
        errors.append(
            FieldError("INVALID", "a key is lowercase letters, digits, _ and - (1-100)", "key")
        )
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name has 1 to 200 characters", "name"))
    if not 1 <= data.submissions_per_minute <= 600:
        errors.append(
            FieldError("INVALID", "1 to 600 submissions per minute", "submissions_per_minute")
        )
    if data.consents and not (data.policy_version or "").strip():
        errors.append(
            FieldError(
                "REQUIRED",
                "a form with consent boxes names the privacy notice version it shows",
                "policy_version",
            )
        )
    elif len(data.policy_version or "") > 50:
        errors.append(FieldError("TOO_LONG", "at most 50 characters", "policy_version"))
    errors += _field_errors(data.fields, data.consents)
    if errors:
        raise DomainError(*errors)


def _values(data: FormData) -> dict[str, Any]:
    return {
        "key": data.key,
        "name": data.name.strip(),
        "fields": [
            {"name": f.name, "label": f.label, "attribute": f.attribute, "required": f.required}
            for f in data.fields
        ],
        "consents": [
            {
                "name": c.name,
                "label": c.label,
                "purpose": c.purpose,
                "channel": c.channel,
                "required": c.required,
            }
            for c in data.consents
        ],
        "policy_version": (data.policy_version or "").strip() or None,
        "active": data.active,
        "submissions_per_minute": data.submissions_per_minute,
    }


async def _key_taken(session: AsyncSession, key: str, other_than: uuid.UUID | None) -> None:
    found = await session.scalar(select(Form.id).where(Form.key == key))
    if found is not None and found != other_than:
        raise DomainError.single("DUPLICATE", f"a form with key {key!r} exists", "key")


async def create_form(session: AsyncSession, data: FormData) -> Form:
    _check(data)
    await _key_taken(session, data.key, None)
    form = Form(id=uuid7(), **_values(data))
    session.add(form)
    await session.flush()
    return form


async def update_form(session: AsyncSession, form_id: uuid.UUID, data: FormData) -> Form:
    """Replace a form's definition; past submissions keep the answers they had."""
    form = await session.get(Form, form_id, with_for_update=True)
    if form is None:
        raise DomainError.single("NOT_FOUND", "no such form", "id")
    _check(data)
    await _key_taken(session, data.key, form.id)
    for name, value in _values(data).items():
        setattr(form, name, value)
    await session.flush()
    return form


async def form_by_key(session: AsyncSession, key: str) -> Form | None:
    """An active form, for the public endpoint."""
    if not FORM_KEY.match(key):
        return None
    return await session.scalar(select(Form).where(Form.key == key, Form.active.is_(True)))


def text_of(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return "" if value is None else str(value).strip()


def _ticked(value: Any) -> bool:
    return value is True or text_of(value).lower() in TICKED


@dataclass(slots=True)
class _Answers:
    answers: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    ticked: list[dict[str, Any]] = field(default_factory=list)


def _read(form: Form, values: Mapping[str, Any]) -> _Answers:
    """The declared answers of a submission, or every problem with it as a ``DomainError``."""
    errors: list[FieldError] = []
    got = _Answers()
    for spec in form.fields:
        text = text_of(values.get(spec["name"]))
        if not text:
            if spec["required"]:
                errors.append(FieldError("REQUIRED", f"{spec['label']} is required", spec["name"]))
            continue
        if len(text) > MAX_ANSWER:
            errors.append(FieldError("TOO_LONG", f"at most {MAX_ANSWER} characters", spec["name"]))
            continue
        got.answers[spec["name"]] = text
        if spec["attribute"]:
            got.attributes[spec["attribute"]] = text
    for box in form.consents:
        if _ticked(values.get(box["name"])):
            got.ticked.append(box)
        elif box["required"]:
            errors.append(
                FieldError("CONSENT_REQUIRED", f"{box['label']} must be ticked", box["name"])
            )
    if not errors and not got.attributes.keys() & set(CONTACT_ATTRIBUTES):
        errors.append(FieldError("REQUIRED", "give an e-mail or a phone", None))
    if errors:
        raise DomainError(*errors)
    return got


def _on_form_fields(error: DomainError, form: Form) -> DomainError:
    """The lead upsert's errors named by the form's field names (``email`` → ``work_email``)."""
    by_attribute = {f["attribute"]: f["name"] for f in form.fields if f["attribute"]}
    return DomainError(
        *(
            FieldError(e.code, e.message, by_attribute.get(e.field or "", e.field))
            for e in error.errors
        )
    )


async def submit(
    session: AsyncSession,
    form: Form,
    values: Mapping[str, Any],
    visitor_id: uuid.UUID | None = None,
) -> FormSubmission:
    """Accept one submission of ``form``: the lead, the consents, the visitor, the record.

    Bad answers are a ``DomainError`` naming the form's fields, and nothing is written.
    """
    got = _read(form, values)
    attrs = got.attributes
    try:
        result = await upsert_lead(
            session,
            LeadUpsertData(
                source=LeadSource.WEB_FORM,
                email=attrs.get("email"),
                phone=attrs.get("phone"),
                first_name=attrs.get("first_name"),
                last_name=attrs.get("last_name"),
                province=attrs.get("province"),
            ),
        )
    except DomainError as error:
        raise _on_form_fields(error, form) from None
    customer_id = result.customer.id
    now = utcnow()
    submission = FormSubmission(
        id=uuid7(),
        form_id=form.id,
        customer_id=customer_id,
        visitor_id=visitor_id,
        answers=got.answers,
        consents=[f"{b['purpose']}:{b['channel']}" for b in got.ticked],
        outcome=result.outcome.value,
        submitted_at=now,
    )
    session.add(submission)
    for box in got.ticked:
        await record_consent(
            session,
            customer_id,
            ConsentChange(
                purpose=ConsentPurpose(box["purpose"]),
                channel=ConsentChannel(box["channel"]),
                status=ConsentStatus.GRANTED,
                source=ConsentSource.WEB_FORM,
                policy_version=form.policy_version,
                occurred_at=now,
                evidence={
                    "form": form.key,
                    "submission_id": str(submission.id),
                    "label": box["label"],
                },
            ),
        )
    if visitor_id is not None:
        await touch_visitor(session, visitor_id, now)
    session.add(
        TrackingEvent(
            id=uuid7(),
            kind=EngagementKind.FORM_SUBMIT,
            visitor_id=visitor_id,
            customer_id=customer_id,
            name=form.key,
            occurred_at=now,
        )
    )
    await session.flush()
    if visitor_id is not None:
        await identify(session, visitor_id, customer_id)
    add_entry(
        session,
        customer_id,
        "ma.form_submitted",
        f"Filled in the form {form.name}",
        data={"form": form.key, "consents": submission.consents},
        ref_type="FormSubmission",
        ref_id=submission.id,
        occurred_at=now,
    )
    emit(
        session,
        "ma.form_submitted",
        FormSubmitted(
            form=form.key,
            submission_id=str(submission.id),
            lead_outcome=result.outcome.value,
            consents=submission.consents,
        ),
        customer_id=customer_id,
    )
    await session.flush()
    await score_customer(session, customer_id)
    return submission
