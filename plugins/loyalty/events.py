"""The domain events loyalty emits, declared with their payload schemas (docs/loyalty.md)."""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from unicrm.core.events.types import register_event_type

_PAYLOAD = ConfigDict(extra="forbid")


@dataclass(config=_PAYLOAD, frozen=True)
class MemberEnrolled:
    member_id: str
    program: str
    channel: str
    store_id: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class MemberStatusChanged:
    member_id: str
    status: str
    reason: str


@dataclass(config=_PAYLOAD, frozen=True)
class PointsChanged:
    """``points`` is signed: positive for an earn, negative for a burn or an expiry."""

    member_id: str
    kind: str
    points: int
    balance: int
    explanation: str


@dataclass(config=_PAYLOAD, frozen=True)
class PointsExpiring:
    member_id: str
    points: int
    expires_at: str


@dataclass(config=_PAYLOAD, frozen=True)
class RewardRedeemed:
    member_id: str
    reward: str
    points: int
    voucher: str


@dataclass(config=_PAYLOAD, frozen=True)
class MemberCheckedIn:
    member_id: str
    store_id: str
    store_code: str


EVENT_TYPES = {
    "loyalty.member_checked_in": MemberCheckedIn,
    "loyalty.member_enrolled": MemberEnrolled,
    "loyalty.member_status_changed": MemberStatusChanged,
    "loyalty.points_changed": PointsChanged,
    "loyalty.points_expiring": PointsExpiring,
    "loyalty.reward_redeemed": RewardRedeemed,
}

for _type, _schema in EVENT_TYPES.items():
    register_event_type(_type, _schema)
