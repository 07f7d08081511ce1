"""CSAT surveys: one per case, created when the case is first resolved, answered once through
a signed link (NPS surveys, services/nps.py, are answered the same way). The token names the survey and carries an HMAC of it under the installation's
secret key, so a forged or altered token is refused without a database lookup."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from typing import cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.timeline.services import add_entry
from unicrm.plugins.crm import events
from unicrm.plugins.crm.models import Case, NpsSurvey, Survey, SurveyKind

MAX_COMMENT = 2000
CSAT_SCALE = range(1, 6)


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"unicrm.crm.survey", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_for(secret: str, survey_id: uuid.UUID) -> str:
    """``<survey id>.<MAC>``, both base64url."""
    mac = hmac.new(_key(secret), survey_id.bytes, hashlib.sha256).digest()[:16]
    return f"{_b64(survey_id.bytes)}.{_b64(mac)}"


def read_token(secret: str, token: str) -> uuid.UUID | None:
    """The survey a genuine token names, else None."""
    head, _, _ = token.partition(".")
    try:
        survey_id = uuid.UUID(bytes=base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error):
        return None
    return survey_id if hmac.compare_digest(token_for(secret, survey_id), token) else None


async def survey_after_resolution(session: AsyncSession, case: Case) -> Survey | None:
    """The case's new CSAT survey, the first time it is resolved (a reopened case keeps its
    survey: None)."""
    if await session.scalar(select(Survey.id).where(Survey.case_id == case.id)) is not None:
        return None
    survey = Survey(id=uuid7(), case_id=case.id, kind=SurveyKind.CSAT, created_at=utcnow())
    session.add(survey)
    await session.flush()
    return survey


async def claim(
    session: AsyncSession,
    model: type[Survey] | type[NpsSurvey],
    secret: str,
    token: str,
    score: int,
    comment: str | None,
    scale: range,
) -> Survey | NpsSurvey:
    """Record an answer to the survey ``token`` names; a forged token, a score outside
    ``scale`` or a second answer is an error and changes nothing (the answer is claimed by a
    conditional UPDATE, so two concurrent answers record one)."""
    survey_id = read_token(secret, token)
    if survey_id is None:
        raise DomainError.single("INVALID_TOKEN", "this survey link is not valid", "token")
    if score not in scale:
        raise DomainError.single(
            "INVALID", f"the score runs from {scale.start} to {scale.stop - 1}", "score"
        )
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise DomainError.single("TOO_LONG", f"at most {MAX_COMMENT} characters", "comment")
    claimed = cast(
        "CursorResult[object]",
        await session.execute(
            update(model)
            .where(model.id == survey_id, model.answered_at.is_(None))
            .values(answered_at=utcnow(), score=score, comment=text)
            .execution_options(synchronize_session=False)
        ),
    )
    survey = await session.get(model, survey_id, populate_existing=True)
    if survey is None:
        raise DomainError.single("INVALID_TOKEN", "this survey link is not valid", "token")
    if claimed.rowcount != 1:
        raise DomainError.single("ALREADY_ANSWERED", "this survey was answered already", "token")
    return survey


async def answer(
    session: AsyncSession, secret: str, token: str, score: int, comment: str | None
) -> Survey:
    """Record the customer's CSAT answer (1-5), with its event and timeline entry."""
    survey = await claim(session, Survey, secret, token, score, comment, CSAT_SCALE)
    assert isinstance(survey, Survey)
    case = await session.get_one(Case, survey.case_id)
    emit(
        session,
        events.SURVEY_ANSWERED,
        events.SurveyAnswered(
            case_id=to_global_id("Case", case.id), kind=survey.kind.value, score=score
        ),
        customer_id=case.customer_id,
    )
    add_entry(
        session,
        case.customer_id,
        "crm.survey_answered",
        f"Satisfaction {score}/5: {case.subject}",
        summary=survey.comment,
        data={"score": score},
        occurred_at=survey.answered_at,
        ref_type="Case",
        ref_id=case.id,
    )
    return survey
