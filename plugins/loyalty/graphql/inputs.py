"""Inputs, payloads and the error codes of loyalty's mutations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from unicrm.core.graph.scalars import BigInt
from unicrm.plugins.loyalty.graphql.types import (
    LoyaltyBirthdayIssue,
    LoyaltyCoupon,
    LoyaltyCouponKind,
    LoyaltyCouponOffer,
    LoyaltyEnrollmentChannel,
    LoyaltyMember,
    LoyaltyMemberStatus,
    LoyaltyMission,
    LoyaltyMissionKind,
    LoyaltyNegativeBalancePolicy,
    LoyaltyPosTransaction,
    LoyaltyProgram,
    LoyaltyRedemption,
    LoyaltyReward,
    LoyaltyTier,
)


@strawberry.enum(description="Why a loyalty mutation wrote nothing.")
class LoyaltyErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    PROGRAM_NOT_FOUND = "program_not_found"
    STORE_NOT_FOUND = "store_not_found"
    CUSTOMER_NOT_FOUND = "customer_not_found"
    MEMBER_TYPE_NOT_FOUND = "member_type_not_found"
    MEMBER_NOT_FOUND = "member_not_found"
    MEMBER_INACTIVE = "member_inactive"
    ALREADY_MEMBER = "already_member"
    INVALID_STATUS = "invalid_status"
    INVALID_POINTS = "invalid_points"
    INSUFFICIENT_POINTS = "insufficient_points"
    NO_EARN_RATE = "no_earn_rate"
    DUPLICATE_TRANSACTION = "duplicate_transaction"
    ORIGINAL_NOT_FOUND = "original_not_found"
    REFUND_EXCEEDS_ORIGINAL = "refund_exceeds_original"
    REWARD_NOT_FOUND = "reward_not_found"
    REWARD_UNAVAILABLE = "reward_unavailable"
    OUT_OF_STOCK = "out_of_stock"
    LIMIT_REACHED = "limit_reached"
    TIER_RESTRICTED = "tier_restricted"
    OFFER_NOT_FOUND = "offer_not_found"
    COUPON_NOT_FOUND = "coupon_not_found"
    COUPON_USED = "coupon_used"
    COUPON_EXPIRED = "coupon_expired"
    COUPON_OF_ANOTHER_MEMBER = "coupon_of_another_member"
    CONDITIONS_NOT_MET = "conditions_not_met"
    MISSION_NOT_FOUND = "mission_not_found"
    MISSION_NOT_COMPLETE = "mission_not_complete"
    MISSION_REWARD_CLAIMED = "mission_reward_claimed"


@strawberry.type
class LoyaltyError:
    field: str | None
    code: LoyaltyErrorCode
    message: str


@strawberry.input
class LoyaltyMemberTypeInput:
    code: str
    name: str


@strawberry.input
class LoyaltyProgramCreateInput:
    code: str
    name: str
    currency: str
    expiry_months: int | None = strawberry.field(
        default=12, description="Null: points never expire."
    )
    expiry_notice_days: int = 30
    negative_balance_policy: LoyaltyNegativeBalancePolicy = (
        LoyaltyNegativeBalancePolicy.FLOOR_AT_ZERO
    )
    member_types: list[LoyaltyMemberTypeInput] | None = strawberry.field(
        default=None, description="Default: one type, general."
    )


@strawberry.type
class LoyaltyProgramPayload:
    program: LoyaltyProgram | None = None
    errors: list[LoyaltyError]


@strawberry.input(description="Create a tier, or change the program's tier with this code.")
class LoyaltyTierSaveInput:
    program_code: str
    code: str
    name: str
    rank: int
    earn_multiplier: Decimal = Decimal(1)
    qualify_points: BigInt | None = None
    qualify_spend: Decimal | None = None
    window_months: int = 12
    grace_months: int = 0
    benefits: str | None = None


@strawberry.type
class LoyaltyTierPayload:
    tier: LoyaltyTier | None = None
    errors: list[LoyaltyError]


@strawberry.input(description="The base rate: `points` per `perAmount` spent in `currency`.")
class LoyaltyEarnRateSetInput:
    program_code: str
    currency: str
    points: BigInt
    per_amount: Decimal
    tier: str | None = strawberry.field(default=None, description="Null: every other tier.")


@strawberry.input(
    description="A multiplier, bonus or exclusion on the lines it matches; dates make it a "
    "promotion."
)
class LoyaltyEarnRuleCreateInput:
    program_code: str
    name: str
    sku: str | None = None
    category: str | None = strawberry.field(
        default=None, description="A category or a parent of it (food matches food/noodles)."
    )
    modifier: str | None = strawberry.field(
        default=None, description="An order-line modifier the line must carry."
    )
    multiplier: Decimal = Decimal(1)
    bonus_points: BigInt = BigInt(0)
    exclude: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cap_per_transaction: BigInt | None = None
    cap_per_day: BigInt | None = None


@strawberry.type
class LoyaltyEarnRulePayload:
    rule_id: strawberry.ID | None = None
    errors: list[LoyaltyError]


@strawberry.input
class LoyaltyRewardCreateInput:
    program_code: str
    code: str
    name: str
    points_price: BigInt
    stock: BigInt | None = None
    per_member_limit: int | None = None
    tiers: list[str] | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@strawberry.type
class LoyaltyRewardPayload:
    reward: LoyaltyReward | None = None
    errors: list[LoyaltyError]


@strawberry.input(description="Join a programme; the phone number is the member's key.")
class LoyaltyEnrollInput:
    program_code: str
    phone: str
    marketing_consent: bool = strawberry.field(
        description="The answer to the marketing question, recorded as a consent either way."
    )
    consent_policy_version: str | None = strawberry.field(
        default=None, description="The privacy notice version shown; required with a consent."
    )
    channel: LoyaltyEnrollmentChannel = LoyaltyEnrollmentChannel.SELF
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the customer with this phone, or a new one."
    )
    first_name: str | None = None
    last_name: str | None = None
    store_code: str | None = strawberry.field(default=None, description="Required at the POS.")
    member_type: str | None = strawberry.field(default=None, description="Default: general.")
    card_number: str | None = strawberry.field(
        default=None, description="A pre-printed card; default: a new number."
    )


@strawberry.type
class LoyaltyMemberPayload:
    member: LoyaltyMember | None = None
    errors: list[LoyaltyError]


@strawberry.input
class LoyaltyMemberSetStatusInput:
    member_id: strawberry.ID
    status: LoyaltyMemberStatus
    reason: str


@strawberry.input
class LoyaltyPosLineInput:
    sku: str
    quantity: int
    amount: Decimal = strawberry.field(description="What the line cost in total.")
    category: str | None = strawberry.field(
        default=None, description="Default: the category of the product with this SKU."
    )
    modifiers: list[str] | None = None


@strawberry.input(description="A POS sale; give the member's card number, phone or QR value.")
class LoyaltyPosSaleInput:
    store_code: str
    transaction_id: str
    currency: str
    lines: list[LoyaltyPosLineInput]
    card_number: str | None = None
    phone: str | None = None
    qr_value: str | None = None
    occurred_at: datetime | None = None
    coupon_code: str | None = strawberry.field(
        default=None,
        description="A coupon of the member's: its value comes off the sale, points earn on the net.",
    )


@strawberry.input(description="A member checking in at a store, by card, phone or QR value.")
class LoyaltyCheckInInput:
    store_code: str
    card_number: str | None = None
    phone: str | None = None
    qr_value: str | None = None


@strawberry.type
class LoyaltyCheckInPayload:
    member: LoyaltyMember | None = None
    checked_in_at: datetime | None = None
    notes: list[str] = strawberry.field(default_factory=list, description="Missions completed.")
    errors: list[LoyaltyError]


@strawberry.input(description="A refund of part or all of an earlier sale at the same store.")
class LoyaltyPosRefundInput:
    store_code: str
    transaction_id: str
    original_transaction_id: str
    amount: Decimal
    occurred_at: datetime | None = None


@strawberry.type
class LoyaltyPosPayload:
    transaction: LoyaltyPosTransaction | None = strawberry.field(
        default=None, description="With DUPLICATE_TRANSACTION: the transaction ingested first."
    )
    member: LoyaltyMember | None = None
    notes: list[str] = strawberry.field(default_factory=list, description="Tier changes.")
    errors: list[LoyaltyError]


@strawberry.input
class LoyaltyRedeemInput:
    member_id: strawberry.ID
    reward_id: strawberry.ID


@strawberry.type
class LoyaltyRedeemPayload:
    redemption: LoyaltyRedemption | None = None
    member: LoyaltyMember | None = None
    errors: list[LoyaltyError]


@strawberry.input(description="A manual correction; negative points take points away.")
class LoyaltyPointsAdjustInput:
    member_id: strawberry.ID
    points: BigInt
    reason: str


@strawberry.input
class LoyaltyPointsTransferInput:
    from_member_id: strawberry.ID
    to_member_id: strawberry.ID
    points: BigInt
    reason: str


@strawberry.input(description="A coupon offer: amount or percent off, a free item or delivery.")
class LoyaltyCouponOfferCreateInput:
    program_code: str
    code: str
    name: str
    kind: LoyaltyCouponKind
    value: Decimal | None = None
    sku: str | None = strawberry.field(
        default=None, description="The free item, or a product the basket must hold."
    )
    min_spend: Decimal | None = None
    valid_days: int | None = strawberry.field(default=None, description="Valid days after issue.")
    valid_until: datetime | None = None
    birthday: LoyaltyBirthdayIssue = strawberry.field(
        default=LoyaltyBirthdayIssue.NONE,
        description="Make it a birthday reward, issued by the daily birthday job.",
    )


@strawberry.type
class LoyaltyCouponOfferPayload:
    offer: LoyaltyCouponOffer | None = None
    errors: list[LoyaltyError]


@strawberry.input(
    description="Issue an offer to members and/or every member of a segment, once per issue key."
)
class LoyaltyCouponIssueInput:
    program_code: str
    offer_code: str
    issue_key: str = strawberry.field(
        description="Idempotency: a member gets one coupon of the offer per key."
    )
    member_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    segment_id: strawberry.ID | None = None


@strawberry.type
class LoyaltyCouponIssuePayload:
    coupons: list[LoyaltyCoupon] = strawberry.field(default_factory=list)
    errors: list[LoyaltyError]


@strawberry.input(description="Use a coupon at the POS.")
class LoyaltyCouponUseInput:
    code: str
    store_code: str
    transaction_id: str
    spend: Decimal
    skus: list[str] = strawberry.field(default_factory=list)
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member presenting it: another member's coupon is refused."
    )


@strawberry.type
class LoyaltyCouponUsePayload:
    coupon: LoyaltyCoupon | None = None
    explanation: str | None = strawberry.field(
        default=None, description='What staff read: "Coupon X: free delivery (Mission reward)".'
    )
    errors: list[LoyaltyError]


@strawberry.input(description="A mission: reach `target` purchases, items or visits for a coupon.")
class LoyaltyMissionCreateInput:
    program_code: str
    code: str
    name: str
    kind: LoyaltyMissionKind
    target: int
    offer_code: str = strawberry.field(description="The coupon offer the reward is issued from.")
    sku: str | None = None
    category: str | None = None
    modifier: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@strawberry.type
class LoyaltyMissionPayload:
    mission: LoyaltyMission | None = None
    errors: list[LoyaltyError]


@strawberry.input
class LoyaltyMissionClaimInput:
    member_id: strawberry.ID
    mission_code: str


@strawberry.type
class LoyaltyMissionClaimPayload:
    coupon: LoyaltyCoupon | None = None
    errors: list[LoyaltyError]
