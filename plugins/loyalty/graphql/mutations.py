from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.errors import DomainError
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import in_transaction, mutate, payload_errors
from unicrm.plugins.loyalty import models
from unicrm.plugins.loyalty.graphql.inputs import (
    LoyaltyCheckInInput,
    LoyaltyCheckInPayload,
    LoyaltyCouponIssueInput,
    LoyaltyCouponIssuePayload,
    LoyaltyCouponOfferCreateInput,
    LoyaltyCouponOfferPayload,
    LoyaltyCouponUseInput,
    LoyaltyCouponUsePayload,
    LoyaltyEarnRateSetInput,
    LoyaltyEarnRuleCreateInput,
    LoyaltyEarnRulePayload,
    LoyaltyEnrollInput,
    LoyaltyError,
    LoyaltyErrorCode,
    LoyaltyMemberPayload,
    LoyaltyMemberSetStatusInput,
    LoyaltyMissionClaimInput,
    LoyaltyMissionClaimPayload,
    LoyaltyMissionCreateInput,
    LoyaltyMissionPayload,
    LoyaltyPointsAdjustInput,
    LoyaltyPointsTransferInput,
    LoyaltyPosPayload,
    LoyaltyPosRefundInput,
    LoyaltyPosSaleInput,
    LoyaltyProgramCreateInput,
    LoyaltyProgramPayload,
    LoyaltyRedeemInput,
    LoyaltyRedeemPayload,
    LoyaltyRewardCreateInput,
    LoyaltyRewardPayload,
    LoyaltyTierPayload,
    LoyaltyTierSaveInput,
)
from unicrm.plugins.loyalty.graphql.types import (
    LoyaltyCoupon,
    LoyaltyCouponOffer,
    LoyaltyMember,
    LoyaltyMission,
    LoyaltyPosTransaction,
    LoyaltyProgram,
    LoyaltyRedemption,
    LoyaltyReward,
    LoyaltyTier,
)
from unicrm.plugins.loyalty.services import (
    checkins,
    coupons,
    earn,
    members,
    missions,
    pos,
    rewards,
    tiers,
)

ERRORS: dict[str, Any] = {"error_type": LoyaltyError, "codes": LoyaltyErrorCode}


def _member(row: models.Member) -> dict[str, Any]:
    return {"member": LoyaltyMember.from_row(row)}


def _lines(lines: list[Any]) -> list[earn.Line]:
    return [
        earn.Line(
            sku=line.sku,
            quantity=line.quantity,
            amount=Decimal(line.amount),
            category=line.category,
            modifiers=list(line.modifiers or []),
        )
        for line in lines
    ]


async def _pos_payload(info: strawberry.Info, outcome: pos.Outcome | DomainError) -> Any:
    if isinstance(outcome, pos.DuplicateTransaction):
        async with info.context.db.session() as session:
            first = await session.get_one(models.PosTransaction, outcome.existing_id)
        return LoyaltyPosPayload(
            transaction=LoyaltyPosTransaction.from_row(first),
            errors=payload_errors(outcome, LoyaltyError, LoyaltyErrorCode),
        )
    if isinstance(outcome, DomainError):
        return LoyaltyPosPayload(errors=payload_errors(outcome, LoyaltyError, LoyaltyErrorCode))
    return LoyaltyPosPayload(
        transaction=LoyaltyPosTransaction.from_row(outcome.transaction),
        member=None if outcome.member is None else LoyaltyMember.from_row(outcome.member),
        notes=outcome.notes,
        errors=[],
    )


@strawberry.type
class LoyaltyMutation:
    @strawberry.mutation(
        metadata=requires("loyalty.program:write"),
        description="Start a programme with its member types.",
    )
    async def loyalty_program_create(
        self, info: strawberry.Info, input: LoyaltyProgramCreateInput
    ) -> LoyaltyProgramPayload:
        data = members.ProgramData(
            code=input.code,
            name=input.name,
            currency=input.currency,
            expiry_months=input.expiry_months,
            expiry_notice_days=input.expiry_notice_days,
            negative_balance_policy=models.NegativeBalancePolicy(
                input.negative_balance_policy.value
            ),
            member_types=None
            if input.member_types is None
            else [(t.code, t.name) for t in input.member_types],
        )

        async def work(session: AsyncSession) -> models.Program:
            return await members.create_program(session, data)

        return await mutate(
            info,
            work,
            payload=LoyaltyProgramPayload,
            result=lambda p: {"program": LoyaltyProgram.from_row(p)},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.program:write"),
        description="Create or change a tier of a programme.",
    )
    async def loyalty_tier_save(
        self, info: strawberry.Info, input: LoyaltyTierSaveInput
    ) -> LoyaltyTierPayload:
        data = tiers.TierData(
            program_code=input.program_code,
            code=input.code,
            name=input.name,
            rank=input.rank,
            earn_multiplier=input.earn_multiplier,
            qualify_points=input.qualify_points,
            qualify_spend=input.qualify_spend,
            window_months=input.window_months,
            grace_months=input.grace_months,
            benefits=input.benefits,
        )

        async def work(session: AsyncSession) -> models.Tier:
            return await tiers.save_tier(session, data)

        return await mutate(
            info,
            work,
            payload=LoyaltyTierPayload,
            result=lambda t: {"tier": LoyaltyTier.from_row(t)},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.program:write"),
        description="Set the base earn rate of a currency, for one tier or all.",
    )
    async def loyalty_earn_rate_set(
        self, info: strawberry.Info, input: LoyaltyEarnRateSetInput
    ) -> LoyaltyProgramPayload:
        async def work(session: AsyncSession) -> models.Program:
            rate = await earn.set_rate(
                session,
                input.program_code,
                input.currency,
                input.tier,
                int(input.points),
                input.per_amount,
            )
            return await session.get_one(models.Program, rate.program_id)

        return await mutate(
            info,
            work,
            payload=LoyaltyProgramPayload,
            result=lambda p: {"program": LoyaltyProgram.from_row(p)},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.program:write"),
        description="Add an earn rule: a multiplier, a bonus, an exclusion or a promotion.",
    )
    async def loyalty_earn_rule_create(
        self, info: strawberry.Info, input: LoyaltyEarnRuleCreateInput
    ) -> LoyaltyEarnRulePayload:
        data = earn.RuleData(
            program_code=input.program_code,
            name=input.name,
            sku=input.sku,
            category=input.category,
            modifier=input.modifier,
            multiplier=input.multiplier,
            bonus_points=int(input.bonus_points),
            exclude=input.exclude,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            cap_per_transaction=input.cap_per_transaction,
            cap_per_day=input.cap_per_day,
        )

        async def work(session: AsyncSession) -> models.EarnRule:
            return await earn.create_rule(session, data)

        return await mutate(
            info,
            work,
            payload=LoyaltyEarnRulePayload,
            result=lambda r: {"rule_id": strawberry.ID(str(r.id))},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.program:write"), description="Add a reward to the catalogue."
    )
    async def loyalty_reward_create(
        self, info: strawberry.Info, input: LoyaltyRewardCreateInput
    ) -> LoyaltyRewardPayload:
        data = rewards.RewardData(
            program_code=input.program_code,
            code=input.code,
            name=input.name,
            points_price=int(input.points_price),
            stock=input.stock,
            per_member_limit=input.per_member_limit,
            tiers=input.tiers,
            valid_from=input.valid_from,
            valid_until=input.valid_until,
        )

        async def work(session: AsyncSession) -> models.Reward:
            return await rewards.create_reward(session, data)

        return await mutate(
            info,
            work,
            payload=LoyaltyRewardPayload,
            result=lambda r: {"reward": LoyaltyReward.from_row(r)},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.member:write"),
        description="Enrol a member, by self sign-up or at a store's POS.",
    )
    async def loyalty_enroll(
        self, info: strawberry.Info, input: LoyaltyEnrollInput
    ) -> LoyaltyMemberPayload:
        async def work(session: AsyncSession) -> models.Member:
            customer_id = (
                None
                if input.customer_id is None
                else decode_id(input.customer_id, "Customer", "customer_id")
            )
            data = members.EnrollData(
                program_code=input.program_code,
                phone=input.phone,
                channel=models.EnrollmentChannel(input.channel.value),
                marketing_consent=input.marketing_consent,
                customer_id=customer_id,
                first_name=input.first_name,
                last_name=input.last_name,
                store_code=input.store_code,
                member_type=input.member_type,
                card_number=input.card_number,
                consent_policy_version=input.consent_policy_version,
            )
            return await members.enroll(session, data)

        return await mutate(info, work, payload=LoyaltyMemberPayload, result=_member, **ERRORS)

    @strawberry.mutation(
        metadata=requires("loyalty.member:write"),
        description="Suspend, reactivate or close a membership, with the reason.",
    )
    async def loyalty_member_set_status(
        self, info: strawberry.Info, input: LoyaltyMemberSetStatusInput
    ) -> LoyaltyMemberPayload:
        async def work(session: AsyncSession) -> models.Member:
            member_id = decode_id(input.member_id, "LoyaltyMember", "member_id")
            status = models.MemberStatus(input.status.value)
            return await members.set_status(session, member_id, status, input.reason)

        return await mutate(info, work, payload=LoyaltyMemberPayload, result=_member, **ERRORS)

    @strawberry.mutation(
        metadata=requires("loyalty.points:write"),
        description="Ingest a POS sale: the member earns its points once per store and "
        "transaction id; the payload explains them.",
    )
    async def loyalty_pos_sale(
        self, info: strawberry.Info, input: LoyaltyPosSaleInput
    ) -> LoyaltyPosPayload:
        zone = info.context.settings.zone
        data = pos.SaleData(
            store_code=input.store_code,
            transaction_id=input.transaction_id,
            currency=input.currency,
            lines=_lines(input.lines),
            card_number=input.card_number,
            phone=input.phone,
            qr_value=input.qr_value,
            occurred_at=input.occurred_at,
            coupon_code=input.coupon_code,
        )

        async def work(session: AsyncSession) -> pos.Outcome:
            return await pos.ingest_sale(session, data, zone)

        return await _pos_payload(info, await in_transaction(info, work))

    @strawberry.mutation(
        metadata=requires("loyalty.member:write"),
        description="A member checks in at a store: its staff see it live "
        "(loyaltyMemberCheckedIn); it is a visit for missions without line conditions.",
    )
    async def loyalty_check_in(
        self, info: strawberry.Info, input: LoyaltyCheckInInput
    ) -> LoyaltyCheckInPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> checkins.CheckedIn:
            return await checkins.check_in(
                session,
                input.store_code,
                card_number=input.card_number,
                phone=input.phone,
                qr_value=input.qr_value,
                zone=zone,
            )

        def result(done: checkins.CheckedIn) -> dict[str, Any]:
            return {
                "member": LoyaltyMember.from_row(done.member),
                "checked_in_at": done.check_in.checked_in_at,
                "notes": done.notes,
            }

        return await mutate(info, work, payload=LoyaltyCheckInPayload, result=result, **ERRORS)

    @strawberry.mutation(
        metadata=requires("loyalty.points:write"),
        description="Ingest a POS refund: it takes back its share of the sale's points.",
    )
    async def loyalty_pos_refund(
        self, info: strawberry.Info, input: LoyaltyPosRefundInput
    ) -> LoyaltyPosPayload:
        zone = info.context.settings.zone
        data = pos.RefundData(
            store_code=input.store_code,
            transaction_id=input.transaction_id,
            original_transaction_id=input.original_transaction_id,
            amount=input.amount,
            occurred_at=input.occurred_at,
        )

        async def work(session: AsyncSession) -> pos.Outcome:
            return await pos.ingest_refund(session, data, zone)

        return await _pos_payload(info, await in_transaction(info, work))

    @strawberry.mutation(
        metadata=requires("loyalty.points:write"),
        description="Redeem a reward: balance and stock are checked and taken atomically.",
    )
    async def loyalty_redeem(
        self, info: strawberry.Info, input: LoyaltyRedeemInput
    ) -> LoyaltyRedeemPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> tuple[models.Redemption, models.Member]:
            member_id = decode_id(input.member_id, "LoyaltyMember", "member_id")
            reward_id = decode_id(input.reward_id, "LoyaltyReward", "reward_id")
            redemption = await rewards.redeem(session, member_id, reward_id, zone)
            return redemption, await session.get_one(models.Member, member_id)

        return await mutate(
            info,
            work,
            payload=LoyaltyRedeemPayload,
            result=lambda pair: {
                "redemption": LoyaltyRedemption.from_row(pair[0]),
                "member": LoyaltyMember.from_row(pair[1]),
            },
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.points:adjust"),
        description="Add or take away points by hand, with a reason; audited.",
    )
    async def loyalty_points_adjust(
        self, info: strawberry.Info, input: LoyaltyPointsAdjustInput
    ) -> LoyaltyMemberPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> models.Member:
            member_id = decode_id(input.member_id, "LoyaltyMember", "member_id")
            return await rewards.adjust(session, member_id, int(input.points), input.reason, zone)

        return await mutate(info, work, payload=LoyaltyMemberPayload, result=_member, **ERRORS)

    @strawberry.mutation(
        metadata=requires("loyalty.points:adjust"),
        description="Move points between two members of a programme, with a reason; audited. "
        "The payload's member is the one who gave.",
    )
    async def loyalty_points_transfer(
        self, info: strawberry.Info, input: LoyaltyPointsTransferInput
    ) -> LoyaltyMemberPayload:
        async def work(session: AsyncSession) -> models.Member:
            ids: list[uuid.UUID] = [
                decode_id(input.from_member_id, "LoyaltyMember", "from_member_id"),
                decode_id(input.to_member_id, "LoyaltyMember", "to_member_id"),
            ]
            return await rewards.transfer(session, ids[0], ids[1], int(input.points), input.reason)

        return await mutate(info, work, payload=LoyaltyMemberPayload, result=_member, **ERRORS)

    @strawberry.mutation(
        metadata=requires("loyalty.program:write"), description="Create a coupon offer."
    )
    async def loyalty_coupon_offer_create(
        self, info: strawberry.Info, input: LoyaltyCouponOfferCreateInput
    ) -> LoyaltyCouponOfferPayload:
        data = coupons.OfferData(
            program_code=input.program_code,
            code=input.code,
            name=input.name,
            kind=models.CouponKind(input.kind.value),
            value=input.value,
            sku=input.sku,
            min_spend=input.min_spend,
            valid_days=input.valid_days,
            valid_until=input.valid_until,
            birthday=models.BirthdayIssue(input.birthday.value),
        )

        async def work(session: AsyncSession) -> models.CouponOffer:
            return await coupons.create_offer(session, data)

        return await mutate(
            info,
            work,
            payload=LoyaltyCouponOfferPayload,
            result=lambda o: {"offer": LoyaltyCouponOffer.from_row(o)},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.program:write"),
        description="Issue coupons of an offer to members or a segment's members.",
    )
    async def loyalty_coupon_issue(
        self, info: strawberry.Info, input: LoyaltyCouponIssueInput
    ) -> LoyaltyCouponIssuePayload:
        async def work(session: AsyncSession) -> list[models.Coupon]:
            member_ids = [
                decode_id(m, "LoyaltyMember", f"member_ids.{i}")
                for i, m in enumerate(input.member_ids)
            ]
            segment = (
                None
                if input.segment_id is None
                else decode_id(input.segment_id, "Segment", "segment_id")
            )
            return await coupons.issue_to(
                session, input.program_code, input.offer_code, member_ids, segment, input.issue_key
            )

        return await mutate(
            info,
            work,
            payload=LoyaltyCouponIssuePayload,
            result=lambda rows: {"coupons": [LoyaltyCoupon.from_row(r) for r in rows]},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.points:write"),
        description="Use a coupon at the POS: once, before it expires, by its member.",
    )
    async def loyalty_coupon_use(
        self, info: strawberry.Info, input: LoyaltyCouponUseInput
    ) -> LoyaltyCouponUsePayload:
        async def work(session: AsyncSession) -> coupons.Used:
            member_id = (
                None
                if input.member_id is None
                else decode_id(input.member_id, "LoyaltyMember", "member_id")
            )
            return await coupons.use(
                session,
                input.code,
                member_id,
                input.store_code,
                input.transaction_id,
                input.spend,
                input.skus,
            )

        return await mutate(
            info,
            work,
            payload=LoyaltyCouponUsePayload,
            result=lambda used: {
                "coupon": LoyaltyCoupon.from_row(used.coupon),
                "explanation": used.explanation,
            },
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.program:write"),
        description="Create a mission rewarded with a coupon.",
    )
    async def loyalty_mission_create(
        self, info: strawberry.Info, input: LoyaltyMissionCreateInput
    ) -> LoyaltyMissionPayload:
        data = missions.MissionData(
            program_code=input.program_code,
            code=input.code,
            name=input.name,
            kind=models.MissionKind(input.kind.value),
            target=input.target,
            offer_code=input.offer_code,
            sku=input.sku,
            category=input.category,
            modifier=input.modifier,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
        )

        async def work(session: AsyncSession) -> models.Mission:
            return await missions.create_mission(session, data)

        return await mutate(
            info,
            work,
            payload=LoyaltyMissionPayload,
            result=lambda m: {"mission": LoyaltyMission.from_row(m)},
            **ERRORS,
        )

    @strawberry.mutation(
        metadata=requires("loyalty.points:write"),
        description="Claim a completed mission's coupon, once.",
    )
    async def loyalty_mission_claim(
        self, info: strawberry.Info, input: LoyaltyMissionClaimInput
    ) -> LoyaltyMissionClaimPayload:
        async def work(session: AsyncSession) -> models.Coupon:
            member_id = decode_id(input.member_id, "LoyaltyMember", "member_id")
            progress = await missions.claim(session, member_id, input.mission_code)
            return await session.get_one(models.Coupon, progress.coupon_id)

        return await mutate(
            info,
            work,
            payload=LoyaltyMissionClaimPayload,
            result=lambda c: {"coupon": LoyaltyCoupon.from_row(c)},
            **ERRORS,
        )
