"""Loyalty tables. Points are BIGINT everywhere; money is ``MoneyAmount`` (exact decimals).

The ledger is double-entry: every change of points is one *posting* of two or more
``loyalty_ledger_entry`` rows whose points sum to zero, one on the member's account (with
the balance after it) and the other on a program account (``program:earn``,
``program:burn``...) or on another member's account (a transfer). Entries are never updated
nor deleted by the services (``_immutable`` below); only a customer erasure anonymises them.
``loyalty_member.points_balance`` is the running sum of the member's entries, and the open
``loyalty_points_lot`` rows hold the same points split by when they expire.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import text_enum, utcnow


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class EnrollmentChannel(StrEnum):
    SELF = "self"
    POS = "pos"
    STAFF = "staff"
    IMPORT = "import"


class NegativeBalancePolicy(StrEnum):
    """What a refund does when the member already spent the points it takes back."""

    REJECT = "reject"
    FLOOR_AT_ZERO = "floor_at_zero"
    ALLOW_NEGATIVE = "allow_negative"


class EntryKind(StrEnum):
    EARN = "earn"
    BURN = "burn"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSE = "reverse"
    TRANSFER = "transfer"


class TransactionKind(StrEnum):
    SALE = "sale"
    REFUND = "refund"


class Program(IdMixin, Base):
    """A loyalty programme; an organization may run several.

    ``expiry_months``: points expire at the end of the N-th month after the month they were
    earned in (business time zone); None: they never expire.
    """

    __tablename__ = "loyalty_program"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    expiry_months: Mapped[int | None]
    expiry_notice_days: Mapped[int] = mapped_column(default=30)
    negative_balance_policy: Mapped[NegativeBalancePolicy] = mapped_column(
        text_enum(NegativeBalancePolicy, 16), default=NegativeBalancePolicy.FLOOR_AT_ZERO
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rules_version: Mapped[int] = mapped_column(default=0, server_default="0")
    """Moves with every change of the programme's rates, rules, tiers or missions (the POS
    caches them per version, see ``services/config.py``)."""


class MemberType(IdMixin, Base):
    """A kind of membership within a program: general, VIP, staff, corporate."""

    __tablename__ = "loyalty_member_type"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))


class Tier(IdMixin, Base):
    """A tier of a program (Silver, Gold...). ``rank`` orders them (higher is better).

    A member qualifies with ``qualify_points`` earned or ``qualify_spend`` spent in the last
    ``window_months``; ``earn_multiplier`` scales the base earn rate. A member keeps a tier at
    least ``grace_months`` past the review that finds them short of it."""

    __tablename__ = "loyalty_tier"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int] = mapped_column(default=0)
    earn_multiplier: Mapped[Decimal] = mapped_column(default=Decimal(1))
    qualify_points: Mapped[int | None] = mapped_column(BigInteger)
    qualify_spend: Mapped[Decimal | None]
    window_months: Mapped[int] = mapped_column(default=12)
    grace_months: Mapped[int] = mapped_column(default=0)
    benefits: Mapped[str | None] = mapped_column(String(2000))


class Member(IdMixin, Base):
    """A customer's membership of one program: one card, one tier, one balance.

    ``phone`` (E.164) is the key a POS enrols and finds members by; ``qr_value`` is the
    unguessable value the member's QR code shows (the card number is printed, so guessable).
    """

    __tablename__ = "loyalty_member"
    __table_args__ = (
        UniqueConstraint("program_id", "customer_id"),
        UniqueConstraint("program_id", "phone"),
    )

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="RESTRICT")
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    member_type_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("loyalty_member_type.id", ondelete="SET NULL")
    )
    card_number: Mapped[str] = mapped_column(String(32), unique=True)
    qr_value: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(32))
    tier_since: Mapped[datetime | None]
    points_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    earned_points: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """Points earned less points reversed, ever: a bound on any tier window's points."""
    spend: Mapped[Decimal] = mapped_column(default=Decimal(0), server_default="0")
    """Sales less refunds, ever: a bound on any tier window's spend."""
    status: Mapped[MemberStatus] = mapped_column(
        Enum(
            MemberStatus,
            native_enum=False,
            length=16,
            create_constraint=True,
            name="status",
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MemberStatus.ACTIVE,
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    channel: Mapped[EnrollmentChannel] = mapped_column(
        text_enum(EnrollmentChannel, 16), default=EnrollmentChannel.STAFF
    )
    store_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("store.id", ondelete="SET NULL"), index=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(IdMixin, Base):
    """One line of a posting (see the module docstring). ``member_id`` is set on member
    accounts only, with ``balance_after``; program accounts carry ``account`` alone."""

    __tablename__ = "loyalty_ledger_entry"
    __table_args__ = (Index("ix_loyalty_ledger_entry_member_created", "member_id", "created_at"),)

    posting_id: Mapped[uuid.UUID] = mapped_column(index=True)
    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loyalty_program.id"))
    account: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="SET NULL")
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[EntryKind] = mapped_column(text_enum(EntryKind, 16))
    points: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str | None] = mapped_column(String(100))
    explanation: Mapped[str] = mapped_column(String(1000), default="")
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _immutable(mapper: Any, connection: Any, target: LedgerEntry) -> None:
    raise ValueError("loyalty ledger entries are immutable: post a correcting entry instead")


class PointsLot(IdMixin, Base):
    """Points earned together, burnt oldest-expiry first; ``remaining`` is what is left."""

    __tablename__ = "loyalty_points_lot"
    __table_args__ = (Index("ix_loyalty_points_lot_member_expires", "member_id", "expires_at"),)

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="CASCADE")
    )
    posting_id: Mapped[uuid.UUID]
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    earned_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class PosTransaction(IdMixin, Base):
    """A POS sale or refund, once per ``(store_id, transaction_id)``: the key that makes a
    replayed or concurrent duplicate earn once. ``refunded`` sums the refunds of a sale."""

    __tablename__ = "loyalty_pos_transaction"
    __table_args__ = (UniqueConstraint("store_id", "transaction_id"),)

    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="RESTRICT"))
    transaction_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TransactionKind] = mapped_column(text_enum(TransactionKind, 16))
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="SET NULL"), index=True
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    original_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("loyalty_pos_transaction.id", ondelete="CASCADE")
    )
    occurred_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal]
    refunded: Mapped[Decimal] = mapped_column(default=Decimal(0))
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    posting_id: Mapped[uuid.UUID | None]
    reversed_points: Mapped[int] = mapped_column(BigInteger, default=0)
    explanation: Mapped[str] = mapped_column(String(1000), default="")
    lines: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EarnRate(IdMixin, Base):
    """The base rate: ``points`` per ``per_amount`` spent in ``currency``, for one tier or
    (``tier`` None) every tier without a rate of its own."""

    __tablename__ = "loyalty_earn_rate"
    __table_args__ = (UniqueConstraint("program_id", "currency", "tier"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="CASCADE")
    )
    currency: Mapped[str] = mapped_column(String(3))
    tier: Mapped[str | None] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(BigInteger)
    per_amount: Mapped[Decimal]


class EarnRule(IdMixin, Base):
    """A rule on top of the base rate: a multiplier on the lines it matches (SKU, category
    prefix, order-line modifier; none given: every line), a fixed bonus per transaction, or an
    exclusion (matching lines earn nothing). ``starts_at``/``ends_at`` make it a promotion;
    the caps bound the rule's extra points per transaction and per member per business day."""

    __tablename__ = "loyalty_earn_rule"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(200))
    modifier: Mapped[str | None] = mapped_column(String(100))
    multiplier: Mapped[Decimal] = mapped_column(default=Decimal(1))
    bonus_points: Mapped[int] = mapped_column(BigInteger, default=0)
    exclude: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    cap_per_transaction: Mapped[int | None] = mapped_column(BigInteger)
    cap_per_day: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True)


class RuleUsage(Base):
    """Extra points a rule gave a member on one business day, for ``cap_per_day``."""

    __tablename__ = "loyalty_rule_usage"

    rule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_earn_rule.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger, default=0)


class Reward(IdMixin, Base):
    """A reward of the catalogue. ``stock`` None: unlimited; ``tiers`` empty: every tier."""

    __tablename__ = "loyalty_reward"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    points_price: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int | None] = mapped_column(BigInteger)
    per_member_limit: Mapped[int | None]
    tiers: Mapped[list] = mapped_column(default=list)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)


class Redemption(IdMixin, Base):
    """A reward a member redeemed; ``voucher`` is the code store staff accept."""

    __tablename__ = "loyalty_redemption"
    __table_args__ = (Index("ix_loyalty_redemption_member_reward", "member_id", "reward_id"),)

    reward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loyalty_reward.id"))
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="SET NULL")
    )
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    points: Mapped[int] = mapped_column(BigInteger)
    posting_id: Mapped[uuid.UUID]
    voucher: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TierChange(IdMixin, Base):
    """A member's move between tiers: the tier history."""

    __tablename__ = "loyalty_tier_change"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="CASCADE"), index=True
    )
    from_tier: Mapped[str] = mapped_column(String(32))
    to_tier: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExpiryNotice(Base):
    """An upcoming-expiry notice already sent: one per member and expiry date."""

    __tablename__ = "loyalty_expiry_notice"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="CASCADE"), primary_key=True
    )
    expires_at: Mapped[datetime] = mapped_column(primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reconciliation(IdMixin, Base):
    """One run of the reconciliation check: balances against entries and lots."""

    __tablename__ = "loyalty_reconciliation"

    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    members_checked: Mapped[int] = mapped_column(BigInteger)
    mismatches: Mapped[list] = mapped_column(default=list)


class CouponKind(StrEnum):
    AMOUNT = "amount"
    PERCENT = "percent"
    FREE_ITEM = "free_item"
    FREE_DELIVERY = "free_delivery"


class BirthdayIssue(StrEnum):
    """Whether the birthday job issues an offer: never, on the day, or for the whole month."""

    NONE = "none"
    DAY = "day"
    MONTH = "month"


class CouponOffer(IdMixin, Base):
    """What a coupon gives and on which conditions: a minimum spend and/or a product (SKU)
    in the basket; coupons of the offer are valid ``valid_days`` after issue (or until
    ``valid_until``, whichever comes first). ``birthday`` makes it a birthday reward."""

    __tablename__ = "loyalty_coupon_offer"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CouponKind] = mapped_column(text_enum(CouponKind, 16))
    value: Mapped[Decimal | None]
    sku: Mapped[str | None] = mapped_column(String(64))
    min_spend: Mapped[Decimal | None]
    valid_days: Mapped[int | None]
    valid_until: Mapped[datetime | None]
    birthday: Mapped[BirthdayIssue] = mapped_column(
        text_enum(BirthdayIssue, 16), default=BirthdayIssue.NONE
    )
    active: Mapped[bool] = mapped_column(default=True)


class Coupon(IdMixin, Base):
    """One coupon issued to a member: an unguessable code, used at most once.

    ``issue_key`` makes an issuance idempotent (``birthday:2026``, a segment send's id)."""

    __tablename__ = "loyalty_coupon"
    __table_args__ = (UniqueConstraint("offer_id", "member_id", "issue_key"),)

    offer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_coupon_offer.id", ondelete="CASCADE")
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32), unique=True)
    issue_key: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    used_store_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("store.id", ondelete="SET NULL")
    )
    used_transaction_id: Mapped[str | None] = mapped_column(String(100))


class MissionKind(StrEnum):
    PURCHASES = "purchases"
    ITEMS = "items"
    VISITS = "visits"


class Mission(IdMixin, Base):
    """A goal that earns a coupon: ``target`` purchases with a matching line, matching items
    (quantities), or visits (sales on distinct business days). Lines match on SKU, category
    (and its children) and order-line modifier, like earn rules; none given: any line."""

    __tablename__ = "loyalty_mission"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_program.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[MissionKind] = mapped_column(text_enum(MissionKind, 16))
    target: Mapped[int]
    sku: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(200))
    modifier: Mapped[str | None] = mapped_column(String(100))
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("loyalty_coupon_offer.id"))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)


class MissionProgress(Base):
    """A member's progress on a mission; ``last_day`` is the business day of the last visit
    counted; ``coupon_id`` is set once the reward is claimed."""

    __tablename__ = "loyalty_mission_progress"

    mission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_mission.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    progress: Mapped[int] = mapped_column(default=0)
    last_day: Mapped[date | None]
    completed_at: Mapped[datetime | None]
    coupon_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("loyalty_coupon.id", ondelete="SET NULL")
    )


class CheckIn(IdMixin, Base):
    """A member checking in at a store (shown to its staff live; a visit for missions)."""

    __tablename__ = "loyalty_check_in"

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("loyalty_member.id", ondelete="CASCADE"), index=True
    )
    store_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"))
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
