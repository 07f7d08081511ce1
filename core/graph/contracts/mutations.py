from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.contracts import models, services
from unicrm.core.graph.contracts.types import (
    Contract,
    ContractCancelInput,
    ContractCreateInput,
    ContractError,
    ContractErrorCode,
    ContractPayload,
    ContractRenewInput,
    ContractUpdateInput,
)
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.products.types import to_price


async def _payload(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Contract]]
) -> ContractPayload:
    return await mutate(
        info,
        work,
        payload=ContractPayload,
        error_type=ContractError,
        codes=ContractErrorCode,
        result=lambda row: {"contract": Contract.from_row(row)},
    )


def _given(value: object) -> object:
    return services.UNSET if value is strawberry.UNSET else value


@strawberry.type
class ContractMutation:
    @strawberry.mutation(
        metadata=requires("core.contract:write"),
        description="Record a contract, subscription or maintenance plan: active when it has "
        "started, pending until then. The end must be after the start, the renewal date "
        "within the term.",
    )
    async def contract_create(
        self, info: strawberry.Info, input: ContractCreateInput
    ) -> ContractPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> models.Contract:
            data = services.ContractData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                kind=input.kind,
                name=input.name,
                start_date=input.start_date,
                billing_period=input.billing_period,
                end_date=input.end_date,
                renewal_date=input.renewal_date,
                auto_renew=input.auto_renew,
                plan=input.plan,
                product_id=None
                if input.product_id is None
                else decode_id(input.product_id, "Product", "product_id"),
                asset_id=None
                if input.asset_id is None
                else decode_id(input.asset_id, "Asset", "asset_id"),
                value=None if input.value is None else to_price(input.value, settings.currency),
                notes=input.notes,
            )
            return await services.create_contract(session, data, settings.business_date())

        return await _payload(info, work)

    @strawberry.mutation(
        metadata=requires("core.contract:write"),
        description="Change a pending or active contract; the dates are checked again.",
    )
    async def contract_update(
        self, info: strawberry.Info, input: ContractUpdateInput
    ) -> ContractPayload:
        currency = info.context.settings.currency

        async def work(session: AsyncSession) -> models.Contract:
            value = input.value
            change = services.ContractChange(
                name=_given(input.name),
                plan=_given(input.plan),
                end_date=_given(input.end_date),
                renewal_date=_given(input.renewal_date),
                auto_renew=_given(input.auto_renew),
                value=services.UNSET
                if value is strawberry.UNSET
                else (None if value is None else to_price(value, currency)),
                notes=_given(input.notes),
            )
            return await services.update_contract(session, decode_id(input.id, "Contract"), change)

        return await _payload(info, work)

    @strawberry.mutation(
        metadata=requires("core.contract:write"),
        description="Cancel a pending or active contract, with the reason kept in its history.",
    )
    async def contract_cancel(
        self, info: strawberry.Info, input: ContractCancelInput
    ) -> ContractPayload:
        async def work(session: AsyncSession) -> models.Contract:
            return await services.cancel_contract(
                session, decode_id(input.id, "Contract"), input.reason
            )

        return await _payload(info, work)

    @strawberry.mutation(
        metadata=requires("core.contract:write"),
        description="Renew an active or expired contract by hand: it becomes renewed and the "
        "payload's contract is its next period, as long as the last one.",
    )
    async def contract_renew(
        self, info: strawberry.Info, input: ContractRenewInput
    ) -> ContractPayload:
        async def work(session: AsyncSession) -> models.Contract:
            return await services.renew_contract(session, decode_id(input.id, "Contract"))

        return await _payload(info, work)


MUTATION = ContractMutation
