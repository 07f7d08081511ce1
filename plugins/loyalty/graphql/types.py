from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import loads
from unicrm.core.graph.scalars import BigInt, Money
from unicrm.plugins.loyalty import models
from unicrm.plugins.loyalty.services import analytics
from unicrm.plugins.loyalty.services.tiers import Progress


@strawberry.enum(description="Whether a membership card can earn and redeem points.")
class LoyaltyMemberStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


@strawberry.enum(description="How a member joined.")
class LoyaltyEnrollmentChannel(Enum):
    SELF = "self"
    POS = "pos"
    STAFF = "staff"
    IMPORT = "import"


@strawberry.enum(description="What a refund does when the member already spent its points.")
class LoyaltyNegativeBalancePolicy(Enum):
    REJECT = strawberry.enum_value("reject", description="Refuse the refund's points part.")
    FLOOR_AT_ZERO = strawberry.enum_value(
        "floor_at_zero", description="Take back what is left; the rest is written off."
    )
    ALLOW_NEGATIVE = strawberry.enum_value(
        "allow_negative", description="Take it all back; the balance goes below zero."
    )


@strawberry.enum(description="What a ledger entry did.")
class LoyaltyEntryKind(Enum):
    EARN = "earn"
    BURN = "burn"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSE = "reverse"
    TRANSFER = "transfer"


@strawberry.enum
class LoyaltyTransactionKind(Enum):
    SALE = "sale"
    REFUND = "refund"


@guard("loyalty.program")
@strawberry.type(description="A kind of membership: general, VIP, staff, corporate.")
class LoyaltyMemberType:
    id: strawberry.ID
    code: str
    name: str

    @classmethod
    def from_row(cls, row: models.MemberType) -> LoyaltyMemberType:
        return cls(id=strawberry.ID(str(row.id)), code=row.code, name=row.name)


@guard("loyalty.program")
@strawberry.type(description="A tier and what it takes to reach and keep it.")
class LoyaltyTier:
    code: str
    name: str
    rank: int
    earn_multiplier: Decimal
    qualify_points: BigInt | None
    qualify_spend: Decimal | None
    window_months: int
    grace_months: int
    benefits: str | None

    @classmethod
    def from_row(cls, row: models.Tier) -> LoyaltyTier:
        return cls(
            code=row.code,
            name=row.name,
            rank=row.rank,
            earn_multiplier=row.earn_multiplier,
            qualify_points=None if row.qualify_points is None else BigInt(row.qualify_points),
            qualify_spend=row.qualify_spend,
            window_months=row.window_months,
            grace_months=row.grace_months,
            benefits=row.benefits,
        )


@guard("loyalty.program")
@strawberry.type(description="A reward of the catalogue, priced in points.")
class LoyaltyReward(Node):
    pk: strawberry.Private[uuid.UUID]
    code: str
    name: str
    points_price: BigInt
    stock: BigInt | None = strawberry.field(description="Null: unlimited.")
    per_member_limit: int | None
    tiers: list[str] = strawberry.field(description="Empty: every tier.")
    valid_from: datetime | None
    valid_until: datetime | None
    active: bool

    @classmethod
    def from_row(cls, row: models.Reward) -> LoyaltyReward:
        return cls(
            id=strawberry.ID(to_global_id("LoyaltyReward", row.id)),
            pk=row.id,
            code=row.code,
            name=row.name,
            points_price=BigInt(row.points_price),
            stock=None if row.stock is None else BigInt(row.stock),
            per_member_limit=row.per_member_limit,
            tiers=list(row.tiers),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            active=row.active,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> LoyaltyReward | None:
        return await load_one(info, "loyalty.reward_by_id", pk, cls.from_row)


@guard("loyalty.program")
@strawberry.type(description="A loyalty programme; an organization may run several.")
class LoyaltyProgram(Node):
    pk: strawberry.Private[uuid.UUID]
    code: str
    name: str
    currency: str
    expiry_months: int | None = strawberry.field(
        description="Points expire at the end of this many months after the month earned."
    )
    expiry_notice_days: int
    negative_balance_policy: LoyaltyNegativeBalancePolicy
    active: bool

    @classmethod
    def from_row(cls, row: models.Program) -> LoyaltyProgram:
        return cls(
            id=strawberry.ID(to_global_id("LoyaltyProgram", row.id)),
            pk=row.id,
            code=row.code,
            name=row.name,
            currency=row.currency,
            expiry_months=row.expiry_months,
            expiry_notice_days=row.expiry_notice_days,
            negative_balance_policy=LoyaltyNegativeBalancePolicy(row.negative_balance_policy.value),
            active=row.active,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> LoyaltyProgram | None:
        return await load_one(info, "loyalty.program_by_id", pk, cls.from_row)

    @strawberry.field(description="The program's member types.")
    @loads("loyalty.member_types_by_program", each=lambda r: LoyaltyMemberType.from_row(r))
    async def member_types(self, info: strawberry.Info) -> list[LoyaltyMemberType]: ...

    @strawberry.field(description="The program's tiers, lowest first.")
    @loads("loyalty.tiers_by_program", each=lambda r: LoyaltyTier.from_row(r))
    async def tiers(self, info: strawberry.Info) -> list[LoyaltyTier]: ...

    @strawberry.field(description="The reward catalogue.")
    @loads("loyalty.rewards_by_program", each=lambda r: LoyaltyReward.from_row(r))
    async def rewards(self, info: strawberry.Info) -> list[LoyaltyReward]: ...


@guard("loyalty.points")
@strawberry.type(description="One line of the points ledger on the member's account.")
class LoyaltyLedgerEntry:
    posting_id: strawberry.ID
    kind: LoyaltyEntryKind
    points: BigInt = strawberry.field(description="Positive: credited; negative: debited.")
    balance_after: BigInt | None
    reason: str
    source: str
    source_ref: str | None
    explanation: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.LedgerEntry) -> LoyaltyLedgerEntry:
        return cls(
            posting_id=strawberry.ID(str(row.posting_id)),
            kind=LoyaltyEntryKind(row.kind.value),
            points=BigInt(row.points),
            balance_after=None if row.balance_after is None else BigInt(row.balance_after),
            reason=row.reason,
            source=row.source,
            source_ref=row.source_ref,
            explanation=row.explanation,
            created_at=row.created_at,
        )


@guard("loyalty.points")
@strawberry.type(description="Points earned together and when what is left of them expires.")
class LoyaltyPointsLot:
    points: BigInt
    remaining: BigInt
    earned_at: datetime
    expires_at: datetime | None

    @classmethod
    def from_row(cls, row: models.PointsLot) -> LoyaltyPointsLot:
        return cls(
            points=BigInt(row.points),
            remaining=BigInt(row.remaining),
            earned_at=row.earned_at,
            expires_at=row.expires_at,
        )


@guard("loyalty.points")
@strawberry.type(description="A POS sale or refund and the points it moved.")
class LoyaltyPosTransaction:
    id: strawberry.ID
    transaction_id: str
    kind: LoyaltyTransactionKind
    amount: Money
    refunded: Money
    points: BigInt
    explanation: str = strawberry.field(
        description='What staff read to the customer: "+120 points: 1,200 THB x Gold 1.0 rate".'
    )
    occurred_at: datetime

    @classmethod
    def from_row(cls, row: models.PosTransaction) -> LoyaltyPosTransaction:
        return cls(
            id=strawberry.ID(str(row.id)),
            transaction_id=row.transaction_id,
            kind=LoyaltyTransactionKind(row.kind.value),
            amount=Money(amount=row.amount, currency=row.currency),
            refunded=Money(amount=row.refunded, currency=row.currency),
            points=BigInt(row.points),
            explanation=row.explanation,
            occurred_at=row.occurred_at,
        )


@guard("loyalty.points")
@strawberry.type(description="A reward a member redeemed.")
class LoyaltyRedemption:
    id: strawberry.ID
    reward_pk: strawberry.Private[uuid.UUID]
    voucher: str = strawberry.field(description="The code store staff accept for the reward.")
    points: BigInt
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Redemption) -> LoyaltyRedemption:
        return cls(
            id=strawberry.ID(str(row.id)),
            reward_pk=row.reward_id,
            voucher=row.voucher,
            points=BigInt(row.points),
            created_at=row.created_at,
        )

    @strawberry.field(description="The reward redeemed.")
    @loads("loyalty.reward_by_id", key="reward_pk", one=LoyaltyReward.from_row)
    async def reward(self, info: strawberry.Info) -> LoyaltyReward | None: ...


@strawberry.enum(description="What a coupon gives.")
class LoyaltyCouponKind(Enum):
    AMOUNT = "amount"
    PERCENT = "percent"
    FREE_ITEM = "free_item"
    FREE_DELIVERY = "free_delivery"


@strawberry.enum(description="Whether the birthday job issues an offer.")
class LoyaltyBirthdayIssue(Enum):
    NONE = "none"
    DAY = strawberry.enum_value("day", description="On the birthday (28 February for 29th).")
    MONTH = strawberry.enum_value("month", description="Once in the birth month.")


@guard("loyalty.program")
@strawberry.type(description="What a coupon gives and on which conditions.")
class LoyaltyCouponOffer:
    code: str
    name: str
    kind: LoyaltyCouponKind
    value: Decimal | None
    sku: str | None
    min_spend: Decimal | None
    valid_days: int | None
    valid_until: datetime | None
    birthday: LoyaltyBirthdayIssue

    @classmethod
    def from_row(cls, row: models.CouponOffer) -> LoyaltyCouponOffer:
        return cls(
            code=row.code,
            name=row.name,
            kind=LoyaltyCouponKind(row.kind.value),
            value=row.value,
            sku=row.sku,
            min_spend=row.min_spend,
            valid_days=row.valid_days,
            valid_until=row.valid_until,
            birthday=LoyaltyBirthdayIssue(row.birthday.value),
        )


@guard("loyalty.points")
@strawberry.type(description="A coupon issued to a member; used at most once.")
class LoyaltyCoupon:
    id: strawberry.ID
    offer_pk: strawberry.Private[uuid.UUID]
    code: str
    issued_at: datetime
    expires_at: datetime | None
    used_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Coupon) -> LoyaltyCoupon:
        return cls(
            id=strawberry.ID(str(row.id)),
            offer_pk=row.offer_id,
            code=row.code,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            used_at=row.used_at,
        )

    @strawberry.field(description="What the coupon gives.")
    @loads(
        "loyalty.coupon_offer_by_id", key="offer_pk", one=lambda r: LoyaltyCouponOffer.from_row(r)
    )
    async def offer(self, info: strawberry.Info) -> LoyaltyCouponOffer | None: ...


@strawberry.enum(description="What a mission counts.")
class LoyaltyMissionKind(Enum):
    PURCHASES = strawberry.enum_value("purchases", description="Sales with a matching line.")
    ITEMS = strawberry.enum_value("items", description="Quantities of matching lines.")
    VISITS = strawberry.enum_value("visits", description="Sales on distinct business days.")


@guard("loyalty.program")
@strawberry.type(description="A goal that earns a coupon.")
class LoyaltyMission:
    code: str
    name: str
    kind: LoyaltyMissionKind
    target: int
    sku: str | None
    category: str | None
    modifier: str | None
    starts_at: datetime | None
    ends_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Mission) -> LoyaltyMission:
        return cls(
            code=row.code,
            name=row.name,
            kind=LoyaltyMissionKind(row.kind.value),
            target=row.target,
            sku=row.sku,
            category=row.category,
            modifier=row.modifier,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )


@guard("loyalty.member")
@strawberry.type(description="Where a member stands on a mission.")
class LoyaltyMissionProgress:
    mission: LoyaltyMission
    progress: int
    completed_at: datetime | None
    claimed: bool

    @classmethod
    def of(
        cls, mission: models.Mission, row: models.MissionProgress | None
    ) -> LoyaltyMissionProgress:
        return cls(
            mission=LoyaltyMission.from_row(mission),
            progress=0 if row is None else row.progress,
            completed_at=None if row is None else row.completed_at,
            claimed=row is not None and row.coupon_id is not None,
        )


@guard("loyalty.member")
@strawberry.type(description="A move between tiers.")
class LoyaltyTierChange:
    from_tier: str
    to_tier: str
    reason: str
    changed_at: datetime

    @classmethod
    def from_row(cls, row: models.TierChange) -> LoyaltyTierChange:
        return cls(
            from_tier=row.from_tier,
            to_tier=row.to_tier,
            reason=row.reason,
            changed_at=row.changed_at,
        )


@guard("loyalty.member")
@strawberry.type(description="What the member needs, within its window, for the next tier.")
class LoyaltyTierProgress:
    next_tier: LoyaltyTier | None
    points_needed: BigInt | None
    spend_needed: Decimal | None

    @classmethod
    def of(cls, found: Progress) -> LoyaltyTierProgress:
        return cls(
            next_tier=None if found.next_tier is None else LoyaltyTier.from_row(found.next_tier),
            points_needed=None if found.points_needed is None else BigInt(found.points_needed),
            spend_needed=found.spend_needed,
        )


@guard("loyalty.member")
@strawberry.type(description="A customer's membership of a loyalty programme.")
class LoyaltyMember(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    program_pk: strawberry.Private[uuid.UUID]
    member_type_pk: strawberry.Private[uuid.UUID | None]
    card_number: str = strawberry.field(metadata={"pii": "identity"})
    qr_value: str = strawberry.field(
        metadata={"pii": "identity"}, description="The value the member's QR code shows."
    )
    phone: str | None = strawberry.field(metadata={"pii": "contact"})
    tier: str
    tier_since: datetime | None
    points_balance: BigInt
    status: LoyaltyMemberStatus
    status_reason: str | None
    channel: LoyaltyEnrollmentChannel
    enrolled_at: datetime

    @classmethod
    def from_row(cls, row: models.Member) -> LoyaltyMember:
        return cls(
            id=strawberry.ID(to_global_id("LoyaltyMember", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            program_pk=row.program_id,
            member_type_pk=row.member_type_id,
            card_number=row.card_number,
            qr_value=row.qr_value,
            phone=row.phone,
            tier=row.tier,
            tier_since=row.tier_since,
            points_balance=BigInt(row.points_balance),
            status=LoyaltyMemberStatus(row.status.value),
            status_reason=row.status_reason,
            channel=LoyaltyEnrollmentChannel(row.channel.value),
            enrolled_at=row.enrolled_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> LoyaltyMember | None:
        return await load_one(info, "loyalty.member_by_id", pk, cls.from_row)

    @strawberry.field(description="The customer who holds the card.")
    @loads("core.customer_by_id", key="customer_pk", one=Customer.from_row)
    async def customer(self, info: strawberry.Info) -> Customer | None: ...

    @strawberry.field(description="The programme.")
    @loads("loyalty.program_by_id", key="program_pk", one=lambda r: LoyaltyProgram.from_row(r))
    async def program(self, info: strawberry.Info) -> LoyaltyProgram | None: ...

    @strawberry.field(description="The kind of membership.")
    @loads(
        "loyalty.member_type_by_id",
        key="member_type_pk",
        one=lambda r: LoyaltyMemberType.from_row(r),
    )
    async def member_type(self, info: strawberry.Info) -> LoyaltyMemberType | None: ...

    @strawberry.field(description="The latest ledger entries, newest first (at most 100).")
    @loads(
        "loyalty.ledger_by_member",
        key=lambda member, args: (member.pk, max(0, min(args.get("first", 20), 100))),
        each=lambda r: LoyaltyLedgerEntry.from_row(r),
    )
    async def ledger(self, info: strawberry.Info, first: int = 20) -> list[LoyaltyLedgerEntry]: ...

    @strawberry.field(description="Lots with points left, the next to expire first.")
    @loads("loyalty.open_lots_by_member", each=lambda r: LoyaltyPointsLot.from_row(r))
    async def lots(self, info: strawberry.Info) -> list[LoyaltyPointsLot]: ...

    @strawberry.field(description="The member's redemptions, newest first.")
    @loads("loyalty.redemptions_by_member", each=lambda r: LoyaltyRedemption.from_row(r))
    async def redemptions(self, info: strawberry.Info) -> list[LoyaltyRedemption]: ...

    @strawberry.field(description="The member's coupons, newest first.")
    @loads("loyalty.coupons_by_member", each=lambda r: LoyaltyCoupon.from_row(r))
    async def coupons(self, info: strawberry.Info) -> list[LoyaltyCoupon]: ...

    @strawberry.field(description="The programme's active missions and the member's progress.")
    @loads("loyalty.missions_by_member", each=lambda pair: LoyaltyMissionProgress.of(*pair))
    async def missions(self, info: strawberry.Info) -> list[LoyaltyMissionProgress]: ...

    @strawberry.field(description="The member's tier changes, newest first.")
    @loads("loyalty.tier_changes_by_member", each=lambda r: LoyaltyTierChange.from_row(r))
    async def tier_history(self, info: strawberry.Info) -> list[LoyaltyTierChange]: ...

    @strawberry.field(description="What the member needs for the next tier.")
    @loads("loyalty.tier_progress_by_member", build=lambda p: LoyaltyTierProgress.of(p))
    async def tier_progress(self, info: strawberry.Info) -> LoyaltyTierProgress: ...


@guard("loyalty.points")
@strawberry.type(description="One run of the reconciliation check.")
class LoyaltyReconciliation:
    run_at: datetime
    members_checked: BigInt
    mismatch_count: int
    ok: bool

    @classmethod
    def from_row(cls, row: models.Reconciliation) -> LoyaltyReconciliation:
        return cls(
            run_at=row.run_at,
            members_checked=BigInt(row.members_checked),
            mismatch_count=len(row.mismatches),
            ok=not row.mismatches,
        )


@guard("loyalty.points")
@strawberry.type(description="Members who joined in the period by channel and store.")
class LoyaltyEnrolmentCount:
    channel: LoyaltyEnrollmentChannel
    store_code: str | None
    members: BigInt


@guard("loyalty.points")
@strawberry.type
class LoyaltyTierCount:
    tier: str
    members: BigInt


@guard("loyalty.points")
@strawberry.type
class LoyaltyTierMoveCount:
    from_tier: str
    to_tier: str
    members: BigInt


@guard("loyalty.points")
@strawberry.type(description="Points moved in the period, by kind (signed: burns negative).")
class LoyaltyPointsFlows:
    earned: BigInt
    burned: BigInt
    expired: BigInt
    adjusted: BigInt
    reversed: BigInt
    transferred: BigInt


@guard("loyalty.points")
@strawberry.type(description="A programme's figures over a period.")
class LoyaltyAnalytics:
    members: BigInt
    active_members: BigInt = strawberry.field(description="Members with a sale in the period.")
    enrolments: list[LoyaltyEnrolmentCount]
    points_liability: BigInt = strawberry.field(
        description="Points outstanding now: the sum of positive balances."
    )
    flows: LoyaltyPointsFlows
    redemption_rate: float = strawberry.field(
        description="Share of the period's active members who redeemed a reward in it."
    )
    tier_distribution: list[LoyaltyTierCount]
    tier_moves: list[LoyaltyTierMoveCount]

    @classmethod
    def of(cls, found: analytics.Analytics) -> LoyaltyAnalytics:
        flows = found.flows
        return cls(
            members=BigInt(found.members),
            active_members=BigInt(found.active_members),
            enrolments=[
                LoyaltyEnrolmentCount(
                    channel=LoyaltyEnrollmentChannel(c), store_code=s, members=BigInt(n)
                )
                for c, s, n in found.enrolments
            ],
            points_liability=BigInt(found.points_liability),
            flows=LoyaltyPointsFlows(
                earned=BigInt(flows["earn"]),
                burned=BigInt(flows["burn"]),
                expired=BigInt(flows["expire"]),
                adjusted=BigInt(flows["adjust"]),
                reversed=BigInt(flows["reverse"]),
                transferred=BigInt(flows["transfer"]),
            ),
            redemption_rate=found.redemption_rate,
            tier_distribution=[LoyaltyTierCount(tier=t, members=BigInt(n)) for t, n in found.tiers],
            tier_moves=[
                LoyaltyTierMoveCount(from_tier=a, to_tier=b, members=BigInt(n))
                for a, b, n in found.tier_moves
            ],
        )
